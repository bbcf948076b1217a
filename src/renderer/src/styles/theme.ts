// The colour theme: follows the system (prefers-color-scheme) unless the user picks light or
// dark; the choice is remembered. `effectiveTheme` is what is on screen, for charts that need
// concrete colours rather than CSS variables.
import { computed, ref } from 'vue'

export type ThemeChoice = 'system' | 'light' | 'dark'
const STORAGE_KEY = 'model-workbench.theme'

function readChoice(): ThemeChoice {
  try {
    const saved = localStorage.getItem(STORAGE_KEY)
    if (saved === 'light' || saved === 'dark' || saved === 'system') return saved
  } catch {
    // storage unavailable (tests, locked-down pages): follow the system
  }
  return 'system'
}

const media = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null
const systemDark = ref(media?.matches ?? false)
media?.addEventListener('change', (event) => {
  systemDark.value = event.matches
  applyTheme()
})

export const themeChoice = ref<ThemeChoice>(readChoice())
export const effectiveTheme = computed<'light' | 'dark'>(() => (themeChoice.value === 'system' ? (systemDark.value ? 'dark' : 'light') : themeChoice.value))

export function applyTheme(): void {
  if (typeof document === 'undefined') return
  // Always the resolved theme, so the stylesheet needs one dark block, not a media-query copy.
  document.documentElement.setAttribute('data-theme', effectiveTheme.value)
}

export function setTheme(choice: ThemeChoice): void {
  themeChoice.value = choice
  try {
    localStorage.setItem(STORAGE_KEY, choice)
  } catch {
    // not remembered; still applied for this session
  }
  applyTheme()
}

/** Concrete colours for ECharts, which cannot read CSS variables. */
export function chartColors(theme: 'light' | 'dark') {
  return theme === 'dark'
    ? { text: '#a3abb8', axis: '#4a5260', grid: '#2a3039', background: 'transparent', tooltipBg: '#252a33', tooltipBorder: '#3b4350', tooltipText: '#e4e7ec',
        palette: ['#5b93f0', '#f0925b', '#4cc281', '#e06c9f', '#b49af0', '#e0c23a', '#3ac2c8', '#f06a72', '#9bbf5a', '#c8a07a'] }
    : { text: '#5b6472', axis: '#c6ccd5', grid: '#e6e9ee', background: 'transparent', tooltipBg: '#ffffff', tooltipBorder: '#dde1e7', tooltipText: '#1c2128',
        palette: ['#2f6fde', '#e0712c', '#1f8a4c', '#c23d7e', '#7a5bd0', '#b8940f', '#1a9aa0', '#c8323c', '#6c8f2a', '#8a6a48'] }
}
