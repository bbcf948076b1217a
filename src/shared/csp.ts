// The renderer's Content-Security-Policy, sent as a header by both hosts: scripts only from the
// app itself, inline styles (Vue style bindings and ECharts set them), images from data/blob
// URLs (sample grids, diagram export), and connections to the given sources only.

export function contentSecurityPolicy(connectSources: string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src ${["'self'", ...connectSources].join(' ')}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'"
  ].join('; ')
}
