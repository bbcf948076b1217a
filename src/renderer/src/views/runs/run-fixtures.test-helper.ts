// Run summaries for tests: deterministic variety in status, data set, metrics and tags.
import type { RunSummary } from '../../../../shared/run'

export function makeRun(i: number, over: Partial<RunSummary> = {}): RunSummary {
  return {
    id: `run-${i}`, name: `run ${i}`, model_name: i % 2 ? 'mlp' : 'cnn', dataset_id: i % 3 ? 'mnist' : 'xor', dataset_name: i % 3 ? 'MNIST' : 'XOR',
    status: i % 5 === 0 ? 'failed' : 'finished', optimizer: 'adam', learning_rate: 0.001 * ((i % 7) + 1), batch_size: 32, epochs: 10, steps: null,
    backend: 'wasm', created_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(), started_at: null, ended_at: null, duration_s: i,
    final_metrics: { val_acc: (i % 100) / 100, val_loss: 1 - (i % 100) / 100 }, best_metrics: { val_acc: (i % 100) / 100 + 0.001 }, best_epoch: 3,
    best_values: { val_acc: (i % 100) / 100 + 0.001, val_loss: 1 - (i % 100) / 100 - 0.001 }, epochs_trained: 10,
    tags: i % 10 === 0 ? ['baseline'] : [], notes: '', ...over
  }
}
