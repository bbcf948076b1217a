// IDX import: an image file and a label file for training (and optionally for testing),
// checked against each other, stored as uint8 pixels and labels (scaled on load), with a
// seeded stratified validation split taken from the training images when asked.
import type { DatasetDescriptor, DatasetWarning, IdxImportOptions, SplitName } from '../../shared/dataset'
import { DataImportError } from './errors'
import { checkLabelRange, checkPair, readIdxImages, readIdxLabels, type IdxImages, type IdxLabels } from './idx'
import { splitRows, takeRows } from './split'
import { taskForClasses, writeTensors, type SplitTensors } from './tensor-store'

/** Labels that leave gaps (0–9 and 12): the classes no image has, named, so 13 classes with two empty is no surprise. */
export function emptyClassWarnings(numClasses: number, labelSets: readonly Uint8Array[]): DatasetWarning[] {
  const seen = new Uint8Array(numClasses)
  for (const labels of labelSets) for (let i = 0; i < labels.length; i++) seen[labels[i]] = 1
  const empty: number[] = []
  for (let c = 0; c < numClasses; c++) if (!seen[c]) empty.push(c)
  if (empty.length === 0) return []
  const list = empty.join(', ')
  return [{
    reason: 'idx.empty_classes',
    message: `${numClasses} classes (0–${numClasses - 1}), but no image has label ${list}: ${empty.length === 1 ? 'that class is' : 'those classes are'} empty; a model will still have ${numClasses} outputs — relabel the files if the gap is a mistake`,
    details: { classes: numClasses, last: numClasses - 1, empty: list, count: empty.length }
  }]
}

export async function importIdxInto(tempDir: string, id: string, options: IdxImportOptions, onProgress?: (done: number, total: number) => void): Promise<DatasetDescriptor> {
  const hasTest = options.test_images !== undefined || options.test_labels !== undefined
  if (hasTest && (!options.test_images || !options.test_labels)) {
    throw new DataImportError(options.test_images ?? options.test_labels ?? '', 'test images and test labels come together: give both files or neither', {}, { reason: 'idx.test_pair' })
  }
  const total = hasTest ? 4 : 2
  let done = 0
  const step = <T>(value: T): T => {
    onProgress?.(++done, total)
    return value
  }
  onProgress?.(0, total)
  const trainImages = step(await readIdxImages(options.train_images))
  const trainLabels = step(await readIdxLabels(options.train_labels))
  checkPair(options.train_images, trainImages, options.train_labels, trainLabels)
  let test: { images: IdxImages; labels: IdxLabels } | null = null
  if (hasTest) {
    const images = step(await readIdxImages(options.test_images!))
    const labels = step(await readIdxLabels(options.test_labels!))
    checkPair(options.test_images!, images, options.test_labels!, labels)
    if (images.rows !== trainImages.rows || images.cols !== trainImages.cols) {
      throw new DataImportError(options.test_images!, `test images are ${images.rows}x${images.cols} but training images are ${trainImages.rows}x${trainImages.cols}`, {}, { reason: 'idx.test_size', details: { test: `${images.rows}x${images.cols}`, train: `${trainImages.rows}x${trainImages.cols}` } })
    }
    test = { images, labels }
  }
  if (trainImages.count === 0) throw new DataImportError(options.train_images, 'the file holds 0 images', {}, { reason: 'idx.no_images' })

  let maxLabel = 0
  for (const labels of [trainLabels.labels, test?.labels.labels ?? new Uint8Array()]) for (let i = 0; i < labels.length; i++) if (labels[i] > maxLabel) maxLabel = labels[i]
  const numClasses = options.num_classes ?? Math.max(2, maxLabel + 1)
  checkLabelRange(options.train_labels, trainLabels.labels, numClasses)
  if (test) checkLabelRange(options.test_labels!, test.labels.labels, numClasses)
  const warnings = emptyClassWarnings(numClasses, [trainLabels.labels, test?.labels.labels ?? new Uint8Array()])

  const width = trainImages.rows * trainImages.cols
  const splits: Partial<Record<SplitName, SplitTensors>> = {}
  if (options.validation > 0) {
    const indices = splitRows(trainImages.count, { validation: options.validation, test: 0 }, options.seed, trainLabels.labels)
    for (const split of ['train', 'validation'] as const) {
      const rows = indices[split]
      splits[split] = { x: takeRows(trainImages.pixels, width, rows, (n) => new Uint8Array(n)), y: takeRows(trainLabels.labels, 1, rows, (n) => new Uint8Array(n)), count: rows.length }
    }
  } else {
    splits.train = { x: trainImages.pixels, y: trainLabels.labels, count: trainImages.count }
  }
  if (test) splits.test = { x: test.images.pixels, y: test.labels.labels, count: test.images.count }

  const file = (path: string | undefined, compression: string | undefined) => (path ? { file: path.split(/[\\/]/).pop(), compression } : undefined)
  return writeTensors(tempDir, {
    format_version: 1,
    id,
    name: options.name ?? id,
    source: {
      kind: 'idx',
      detail: {
        train_images: file(options.train_images, trainImages.compression),
        train_labels: file(options.train_labels, trainLabels.compression),
        ...(test ? { test_images: file(options.test_images, test.images.compression), test_labels: file(options.test_labels, test.labels.compression) } : {}),
        validation: options.validation,
        seed: options.seed
      }
    },
    task: taskForClasses(numClasses),
    feature_shape: [width],
    classes: Array.from({ length: numClasses }, (_, i) => String(i)),
    target_size: 1,
    image_shape: [trainImages.rows, trainImages.cols, 1],
    preprocessing: { scaling: options.scaling, one_hot_columns: [] },
    storage: { x_dtype: 'uint8', y_dtype: 'uint8' },
    splits: { train: { count: 0 } },
    columns: [],
    ...(warnings.length > 0 ? { warnings } : {})
  }, splits)
}
