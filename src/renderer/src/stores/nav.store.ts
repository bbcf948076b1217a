// Which view is shown, the runs the Compare view compares and the run the Evaluate view opens.
import { defineStore } from 'pinia'

export const VIEWS = ['datasets', 'designer', 'train', 'runs', 'compare', 'evaluate'] as const
export type ViewName = (typeof VIEWS)[number]

/** A command for whichever view handles it (shortcuts and desktop menu items end up here). */
export type ViewCommand = 'train-start' | 'train-stop' | 'new' | 'open' | 'import-dataset' | 'export'
export interface ViewRequest {
  command: ViewCommand
  /** Increases with every request so that repeating the same command is seen as new. */
  seq: number
}

let requestSeq = 0

export const useNavStore = defineStore('nav', {
  state: () => ({ view: 'designer' as ViewName, compareIds: [] as string[], compareSweepId: null as string | null, evaluateRunId: null as string | null, request: null as ViewRequest | null }),
  actions: {
    go(view: ViewName) {
      this.view = view
    },
    /** Asks the views for `command`; the view that owns it watches `request` and acts. */
    ask(command: ViewCommand) {
      this.request = { command, seq: ++requestSeq }
    },
    /** Opens the Compare view on these runs (order kept, duplicates dropped). */
    compare(runIds: readonly string[]) {
      this.compareIds = [...new Set(runIds)]
      this.compareSweepId = null
      this.view = 'compare'
    },
    /** Opens the Compare view on a sweep's runs, with the sweep's ranking (views/compare/SweepRanking.vue). */
    compareSweep(sweepId: string, runIds: readonly string[]) {
      this.compare(runIds)
      this.compareSweepId = sweepId
    },
    /** Opens the Evaluate & export view on this run. */
    evaluate(runId: string) {
      this.evaluateRunId = runId
      this.view = 'evaluate'
    }
  }
})
