// Data sets known to the back end (the back end holds the truth; this is the view's copy), the
// one selected for training, and the refresh that keeps both in step with 'datasets.changed'.
import { defineStore } from 'pinia'
import type { DatasetDescriptor, SplitName } from '../../../shared/dataset'
import { client } from '../api'

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export const useDatasetsStore = defineStore('datasets', {
  state: () => ({
    items: [] as DatasetDescriptor[],
    /** The data set the Train view uses by default, and the one the Datasets view shows. */
    selectedId: null as string | null,
    loading: false,
    error: null as string | null
  }),
  getters: {
    byId: (state) => (id: string): DatasetDescriptor | undefined => state.items.find((d) => d.id === id),
    selected: (state): DatasetDescriptor | undefined => state.items.find((d) => d.id === state.selectedId)
  },
  actions: {
    /** One page of a data set's samples (features as stored, labels as class indices). */
    samples(id: string, split: SplitName, offset: number, count: number) {
      return client.call('datasets.samples', { id, split, offset, count })
    },
    async refresh(): Promise<void> {
      this.loading = true
      try {
        this.items = await client.call('datasets.list', {})
        this.error = null
        if (!this.selectedId || !this.items.some((d) => d.id === this.selectedId)) this.selectedId = this.items[0]?.id ?? null
      } catch (error) {
        this.error = errorMessage(error)
      } finally {
        this.loading = false
      }
    },
    select(id: string | null): void {
      this.selectedId = id
    },
    async remove(id: string): Promise<void> {
      await client.call('datasets.delete', { id })
      if (this.selectedId === id) this.selectedId = null
      await this.refresh()
    },
    /** Keeps the list current while a view is open; returns the unsubscribe function. */
    watchChanges(): () => void {
      return client.on('datasets.changed', () => void this.refresh())
    }
  }
})
