// The shell's own state from the back end: what app.info says (version, host, backends), the
// long jobs in progress (job.progress events) and the desktop menu's commands. The shell
// component renders it; only this store talks to the client for it.
import { defineStore } from 'pinia'
import { client } from '../api'
import type { EventPayload, Response } from '../../../shared/contract'
import { t } from '../i18n'
import { describeError, type ShownError } from '../lib/errors'
import { useTrainingStore } from './training.store'

type Job = EventPayload<'job.progress'>
type MenuCommand = EventPayload<'menu.command'>

/** How long a finished job's bar stays before it goes. */
const DONE_JOB_LINGER_MS = 800

export const useShellStore = defineStore('shell', {
  state: () => ({
    appInfo: null as Response<'app.info'> | null,
    error: null as ShownError | null,
    jobs: {} as Record<string, Job>,
    unsubscribers: [] as (() => void)[]
  }),
  getters: {
    activeJobs: (state): Job[] => Object.values(state.jobs).filter((job) => job.done < job.total)
  },
  actions: {
    /** Subscribes to menu commands and job progress, and reads app.info (the backends go to the training store). */
    async start(onMenu: (command: MenuCommand) => void): Promise<void> {
      this.unsubscribers.push(client.on('menu.command', onMenu))
      this.unsubscribers.push(client.on('job.progress', (job) => this.jobProgress(job)))
      try {
        this.appInfo = await client.call('app.info', {})
        useTrainingStore().backends = this.appInfo.backends
      } catch (caught) {
        this.error = describeError(caught, t('shell.connectHint'))
      }
    },
    jobProgress(job: Job): void {
      this.jobs = { ...this.jobs, [job.job]: job }
      if (job.done >= job.total) {
        setTimeout(() => {
          const { [job.job]: _done, ...rest } = this.jobs
          this.jobs = rest
        }, DONE_JOB_LINGER_MS)
      }
    },
    dispose(): void {
      for (const off of this.unsubscribers.splice(0)) off()
    }
  }
})
