// Renderer entry: styles, theme, language, Pinia, and the shell.
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import './styles/theme.css'
import './styles/base.css'
import { applyTheme } from './styles/theme'
import { locale, setLocale } from './i18n'

applyTheme()
setLocale(locale.value)
createApp(App).use(createPinia()).mount('#app')
