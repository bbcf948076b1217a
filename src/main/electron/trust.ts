// What the desktop host trusts, as pure functions (no `electron` import, so tests can run them):
// which URLs are our renderer, and which external links may open in the system browser.

/** External pages the app may open in the system browser: documentation only, https only. */
export const EXTERNAL_DOC_HOSTS: ReadonlySet<string> = new Set(['keras.io', 'js.tensorflow.org', 'www.tensorflow.org'])

/**
 * A check for "this URL shows our renderer": the built index.html as the app:// protocol serves
 * it (app://workbench/index.html, any hash or query; no other page, no file:// URL), or in
 * development the dev server's origin.
 */
export function rendererUrlCheck(options: { rendererIndexUrl: string; devServerUrl?: string }): (url: string) => boolean {
  const devOrigin = options.devServerUrl ? new URL(options.devServerUrl).origin : null
  return (url) => {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return false
    }
    if (devOrigin) return parsed.origin === devOrigin
    parsed.hash = ''
    parsed.search = ''
    return parsed.href === options.rendererIndexUrl
  }
}

export function isAllowedExternalUrl(url: string): boolean {
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'https:' && EXTERNAL_DOC_HOSTS.has(parsed.hostname) && parsed.username === '' && parsed.password === '' && (parsed.port === '' || parsed.port === '443')
  } catch {
    return false
  }
}
