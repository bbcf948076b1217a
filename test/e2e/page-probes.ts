// Scripts installed in the page (context.addInitScript) that let tests and the renderer benchmark
// observe what a user cannot read off the screen: the ECharts instance behind a chart container
// (found through the Vue component tree from the mount container's _vnode, since the bundle keeps echarts' registry private;
// the EChart component exposes `instance()`), the number of points a chart holds, the time of
// its 'finished' events, and long tasks on the main thread.
//
// Written as plain JavaScript strings because they run in the browser, not under Node.

/** Installs `window.__mwProbe` with chart(testid), chartPointCounts(testid), watchChart(testid), measure(...). */
export const PAGE_PROBE_SCRIPT = String.raw`
(() => {
  if (window.__mwProbe) return
  function componentsOf(vnode, out) {
    if (!vnode || typeof vnode !== 'object') return
    if (vnode.component) {
      out.push(vnode.component)
      componentsOf(vnode.component.subTree, out)
    }
    if (vnode.suspense && vnode.suspense.activeBranch) componentsOf(vnode.suspense.activeBranch, out)
    if (Array.isArray(vnode.children)) for (const child of vnode.children) componentsOf(child, out)
  }
  function allComponents() {
    // Production builds keep no app._instance; the mount container's _vnode is the root's vnode.
    const host = document.querySelector('#app') || document.body.firstElementChild
    const root = host && host._vnode
    if (!root) return []
    const out = []
    componentsOf(root, out)
    return out
  }
  /** The ECharts instance rendered into [data-testid=testid], or null. */
  function chart(testid) {
    const el = document.querySelector('[data-testid="' + testid + '"]')
    if (!el) return null
    for (const c of allComponents()) {
      const exposed = c.exposed
      if (exposed && typeof exposed.instance === 'function' && c.subTree && c.subTree.el === el) {
        const instance = exposed.instance()
        if (instance) return instance
      }
    }
    return null
  }
  /**
   * Points per series as given to the chart (before ECharts' own sampling for drawing), read
   * from the series models: cheap enough to call on every frame, unlike getOption()'s deep copy.
   */
  function chartPointCounts(testid) {
    const instance = chart(testid)
    if (!instance) return null
    const model = instance.getModel && instance.getModel()
    if (model && model.getSeries) return model.getSeries().map((s) => (s.getRawData ? s.getRawData() : s.getData()).count())
    const option = instance.getOption()
    return (option.series || []).map((s) => (Array.isArray(s.data) ? s.data.length : 0))
  }
  const watched = new Map()
  /** Records performance.now() of every 'finished' event of the chart, with the points it then held. */
  function watchChart(testid) {
    const record = watched.get(testid) || { finished: [], instance: null }
    watched.set(testid, record)
    const instance = chart(testid)
    if (instance && instance !== record.instance) {
      record.instance = instance
      instance.on('finished', () => record.finished.push({ at: performance.now(), counts: chartPointCounts(testid) }))
    }
    return record.finished
  }
  /**
   * Clicks the element matching clickSelector and measures, on every animation frame, until
   * [data-testid=chartTestId] is a chart holding at least minSeries series of at least minPoints
   * points each and it has drawn them ('finished'). Resolves with
   * { ms, via: 'finished' | 'frame', counts } or rejects after timeoutMs.
   */
  function measureChartAfterClick(clickSelector, chartTestId, minSeries, minPoints, timeoutMs) {
    return new Promise((resolve, reject) => {
      const target = document.querySelector(clickSelector)
      if (!target) return reject(new Error('nothing to click: ' + clickSelector))
      watched.delete(chartTestId)
      const full = (counts) => counts && counts.filter((n) => n >= minPoints).length >= minSeries
      const t0 = performance.now()
      target.click()
      function frame() {
        const now = performance.now()
        const finished = watchChart(chartTestId).find((f) => full(f.counts))
        if (finished) return resolve({ ms: finished.at - t0, via: 'finished', counts: finished.counts })
        const counts = chartPointCounts(chartTestId)
        // Drawn before the hook could catch its 'finished' (setOption draws synchronously): the first frame that sees it.
        if (full(counts) && watched.get(chartTestId).seenFullAt === undefined) {
          watched.get(chartTestId).seenFullAt = now
        }
        const seen = watched.get(chartTestId).seenFullAt
        // Progressive rendering draws over several frames and ends with 'finished'; wait for it a while.
        if (seen !== undefined && now - seen > 2000) return resolve({ ms: seen - t0, via: 'frame', counts })
        if (now - t0 > timeoutMs) return reject(new Error('chart ' + chartTestId + ' did not fill within ' + timeoutMs + ' ms; counts ' + JSON.stringify(counts)))
        requestAnimationFrame(frame)
      }
      requestAnimationFrame(frame)
    })
  }
  /**
   * Clicks the element matching clickSelector and resolves with the ms until selector matches at
   * least minCount elements, measured at the first animation frame that sees them (the frame that paints them).
   */
  function measureElementsAfterClick(clickSelector, selector, minCount, timeoutMs) {
    return new Promise((resolve, reject) => {
      const target = document.querySelector(clickSelector)
      if (!target) return reject(new Error('nothing to click: ' + clickSelector))
      const t0 = performance.now()
      target.click()
      function frame() {
        const now = performance.now()
        const count = document.querySelectorAll(selector).length
        if (count >= minCount) return resolve({ ms: now - t0, count })
        if (now - t0 > timeoutMs) return reject(new Error(selector + ': ' + count + ' elements after ' + timeoutMs + ' ms'))
        requestAnimationFrame(frame)
      }
      requestAnimationFrame(frame)
    })
  }
  window.__mwProbe = { chart, chartPointCounts, watchChart, measureChartAfterClick, measureElementsAfterClick }
})()
`

/** Registers a PerformanceObserver for 'longtask' entries from the page's first script on; `window.__mwLongTasks` holds them. */
export const LONG_TASK_SCRIPT = String.raw`
(() => {
  window.__mwLongTasks = []
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__mwLongTasks.push({ start: entry.startTime, duration: entry.duration })
    }).observe({ type: 'longtask', buffered: true })
  } catch (error) {
    window.__mwLongTasks = null
  }
})()
`
