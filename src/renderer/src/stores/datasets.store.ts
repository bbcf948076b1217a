// Data sets known to the back end, and the one selected for training.
import { defineStore } from 'pinia'
import type { DatasetDescriptor } from '../../../shared/dataset'

export const useDatasetsStore = defineStore('datasets', {
  state: () => ({ items: [] as DatasetDescriptor[], selectedId: null as string | null, loading: false }),
  getters: {
    byId: (s) => (id: string) => s.items.find((d) => d.id === id)
  },
  actions: {
    async refresh() {
      // Filled in once the api client lands.
    }
  }
})
