// The one place ECharts is assembled: only the charts and components the views use are
// registered, so the bundle carries no unused chart types.
import * as echarts from 'echarts/core'
import { LineChart, ParallelChart, BarChart, ScatterChart, HeatmapChart } from 'echarts/charts'
import { GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, ParallelComponent, TitleComponent, MarkLineComponent, VisualMapComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([LineChart, ParallelChart, BarChart, ScatterChart, HeatmapChart, GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, ParallelComponent, TitleComponent, MarkLineComponent, VisualMapComponent, CanvasRenderer])

export { echarts }
export type { EChartsCoreOption as ChartOption, ECharts } from 'echarts/core'
