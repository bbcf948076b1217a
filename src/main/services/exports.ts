// Exports of a finished run: the trained model in TF.js layers format (a tar of model.json and
// its weight files), a Python Keras script that reproduces the run, the spec, and the metrics.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { RunDetail } from '../../shared/run'
import { kerasScript } from '../../shared/keras-script'
import type { EXPORT_FORMATS } from '../../shared/contract'
import type { WorkbenchStore } from '../store'
import { WorkbenchError } from './dispatcher'
import { modelFolder } from '../engine/weights-store'

export interface ExportedFile {
  file_name: string
  mime: string
  data: Buffer
}

/** A ustar archive of flat files: enough for model.json + weights, readable by every tar. */
export function tarArchive(files: { name: string; data: Buffer }[]): Buffer {
  const blocks: Buffer[] = []
  const mtime = Math.floor(Date.now() / 1000)
  for (const file of files) {
    const header = Buffer.alloc(512)
    header.write(file.name.slice(0, 99), 0, 'utf8')
    header.write('0000644\0', 100)
    header.write('0000000\0', 108)
    header.write('0000000\0', 116)
    header.write(file.data.length.toString(8).padStart(11, '0') + '\0', 124)
    header.write(mtime.toString(8).padStart(11, '0') + '\0', 136)
    header.write('        ', 148)
    header.write('0', 156)
    header.write('ustar\0' + '00', 257)
    let sum = 0
    for (const byte of header) sum += byte
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148)
    blocks.push(header, file.data, Buffer.alloc((512 - (file.data.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 80) || 'run'
}

export async function exportRun(input: { run: RunDetail; runDir: string; store: WorkbenchStore; format: (typeof EXPORT_FORMATS)[number] }): Promise<ExportedFile> {
  const { run, runDir, store, format } = input
  const base = safeName(run.name)
  switch (format) {
    case 'spec_json':
      return { file_name: `${base}.spec.json`, mime: 'application/json', data: Buffer.from(JSON.stringify(run.spec, null, 2)) }
    case 'keras_script':
      return { file_name: `${base}.py`, mime: 'text/x-python', data: Buffer.from(kerasScript(run.spec, run.config, { runName: run.name, datasetName: run.dataset_name })) }
    case 'metrics_json':
    case 'metrics_csv': {
      const series = store.series(run.id, 1_000_000)
      if (format === 'metrics_json') return { file_name: `${base}.metrics.json`, mime: 'application/json', data: Buffer.from(JSON.stringify(series)) }
      const rows = ['name,step,epoch,value']
      for (const [name, s] of Object.entries(series)) {
        for (let i = 0; i < s.value.length; i++) rows.push(`${name.includes(',') ? JSON.stringify(name) : name},${s.step[i]},${s.epoch[i]},${s.value[i]}`)
      }
      return { file_name: `${base}.metrics.csv`, mime: 'text/csv', data: Buffer.from(rows.join('\n') + '\n') }
    }
    case 'tfjs': {
      const dir = modelFolder(runDir)
      if (!dir) throw new WorkbenchError('conflict', `run "${run.name}" has no saved weights yet; export after it has trained at least one epoch`)
      const names = (await readdir(dir)).sort()
      const files = await Promise.all(names.map(async (name) => ({ name, data: await readFile(join(dir, name)) })))
      return { file_name: `${base}.tfjs.tar`, mime: 'application/x-tar', data: tarArchive(files) }
    }
  }
}
