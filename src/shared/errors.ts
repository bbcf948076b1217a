// Errors as data. Every failure that crosses the contract carries a `code` (what a program
// tests: retry, refresh, fix the input), a `message` in English (logs, the CLI), and — when the
// failure is one the workbench knows — a `reason` key with `details`, from which a view renders
// the message in the user's language and picks its hint. Views never read the English text.
import { z } from 'zod'

export const ERROR_CODES = ['invalid_request', 'not_found', 'conflict', 'bad_input', 'internal', 'unauthorized'] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

/** One detail value: what a message template interpolates (file, line, column, layer index, field, expected, got…). */
export type ErrorDetail = string | number | boolean | null
export type ErrorDetails = Record<string, ErrorDetail>

export const errorDetailsSchema = z.record(z.string().max(64), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]))

/**
 * `reason`: a stable dotted key naming the failure (`csv.bad_number`, `spec.field_invalid`,
 * `run.not_found`…); the renderer's messages have one template per key, filled from `details`.
 */
export interface ContractError {
  code: ErrorCode
  message: string
  reason?: string
  details?: ErrorDetails
}

export interface ErrorData {
  reason?: string
  details?: ErrorDetails
}

/** The one base of errors meant for the user, in every process: a contract code plus reason and details. */
export class TypedError extends Error {
  readonly reason?: string
  readonly details?: ErrorDetails
  constructor(
    readonly code: ErrorCode,
    message: string,
    data: ErrorData & { cause?: unknown } = {}
  ) {
    super(message, data.cause === undefined ? undefined : { cause: data.cause })
    this.name = 'TypedError'
    if (data.reason !== undefined) this.reason = data.reason
    if (data.details !== undefined) this.details = data.details
  }

  toContractError(): ContractError {
    return {
      code: this.code,
      message: this.message,
      ...(this.reason !== undefined ? { reason: this.reason } : {}),
      ...(this.details !== undefined ? { details: this.details } : {})
    }
  }
}

/** Reads reason and details off anything thrown or received (a TypedError, a ContractError, a call error). */
export function errorData(error: unknown): { code?: string; reason?: string; details?: ErrorDetails } {
  if (typeof error !== 'object' || error === null) return {}
  const record = error as { code?: unknown; reason?: unknown; details?: unknown }
  const details = errorDetailsSchema.safeParse(record.details)
  return {
    ...(typeof record.code === 'string' ? { code: record.code } : {}),
    ...(typeof record.reason === 'string' ? { reason: record.reason } : {}),
    ...(details.success ? { details: details.data } : {})
  }
}

/**
 * Every reason the workbench raises on purpose, with its contract code and the details its
 * templates may use. The renderer holds one English and one Chinese template per reason
 * (`errors.reason.<reason>` in src/renderer/src/i18n/messages/errors.ts); a test checks that
 * each reason here, and each `reason: '…'` written in src/main and src/shared, has both.
 * Templates may also use `{message}`: the back end's English text.
 */
export const ERROR_REASONS = {
  // The request itself (the dispatcher).
  'request.invalid': { code: 'invalid_request', details: ['method', 'path', 'expected', 'got', 'problem', 'issues', 'option'] },
  'request.unknown_method': { code: 'invalid_request', details: ['method'] },
  // The run store (StoreError without a more precise reason).
  'store.not_found': { code: 'not_found', details: [] },
  'store.conflict': { code: 'conflict', details: [] },
  'store.bad_input': { code: 'bad_input', details: [] },
  'store.busy': { code: 'conflict', details: [] },
  'store.incompatible': { code: 'conflict', details: [] },
  // The command line's usage (src/main/cli/args.ts).
  'cli.usage': { code: 'invalid_request', details: ['command', 'problem'] },
  'cli.unknown_command': { code: 'invalid_request', details: ['command'] },
  'cli.unknown_option': { code: 'invalid_request', details: ['command', 'options'] },
  'cli.bad_value': { code: 'invalid_request', details: ['command', 'option', 'expected', 'got'] },
  // Model specs (validateSpec's SpecError; spec.invalid wraps them for a request).
  'spec.invalid': { code: 'bad_input', details: ['count', 'first', 'first_reason', 'layer', 'class_name', 'field'] },
  'spec.not_object': { code: 'bad_input', details: ['got'] },
  'spec.bad_format': { code: 'bad_input', details: ['got'] },
  'spec.bad_version': { code: 'bad_input', details: ['got'] },
  'spec.bad_input_shape': { code: 'bad_input', details: ['got'] },
  'spec.bad_name': { code: 'bad_input', details: ['got'] },
  'spec.bad_layers': { code: 'bad_input', details: ['got'] },
  'spec.bad_structure': { code: 'bad_input', details: ['field', 'problem'] },
  'spec.bad_layer': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'where', 'what'] },
  'spec.read_not_json': { code: 'bad_input', details: ['problem'] },
  'spec.read_not_object': { code: 'bad_input', details: [] },
  'spec.read_bad_format': { code: 'bad_input', details: ['field', 'got'] },
  'spec.read_bad_version': { code: 'bad_input', details: ['field', 'got'] },
  'spec.read_newer_version': { code: 'bad_input', details: ['field', 'version', 'max'] },
  'spec.no_layers': { code: 'bad_input', details: [] },
  'spec.too_many_layers': { code: 'bad_input', details: ['layers', 'max'] },
  'spec.unknown_class': { code: 'bad_input', details: ['layer', 'class_name', 'known'] },
  'spec.unknown_param': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'takes'] },
  'spec.field_required': { code: 'bad_input', details: ['layer', 'class_name', 'field'] },
  'spec.field_invalid': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'expected', 'got', 'kind', 'min', 'max', 'exclusive_max', 'options', 'length', 'minus_one'] },
  'spec.minus_one_twice': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'got'] },
  'spec.unsupported_dtype': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'got'] },
  'spec.field_null': { code: 'bad_input', details: ['layer', 'class_name', 'field'] },
  'spec.bad_initializer': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'problem'] },
  'spec.bad_regularizer': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'problem'] },
  'spec.unsupported_value': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'expected', 'got'] },
  'spec.bad_layer_name': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'got'] },
  'spec.duplicate_name': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'name', 'earlier'] },
  'spec.input_layer_position': { code: 'bad_input', details: ['layer', 'class_name', 'field'] },
  'spec.input_shape_mismatch': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'got', 'expected'] },
  'spec.shape_mismatch': { code: 'bad_input', details: ['layer', 'class_name', 'input', 'needs'] },
  'spec.already_flat': { code: 'bad_input', details: ['layer', 'class_name', 'input'] },
  'spec.window_too_big': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'window', 'input'] },
  'spec.crop_too_big': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'cropping', 'input'] },
  'spec.wrapped_field': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'wrapped', 'key', 'problem', 'got'] },
  'spec.reshape_size': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'target', 'size', 'input'] },
  'spec.axis_out_of_range': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'rank', 'input', 'got'] },
  'spec.axis_not_last': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'last', 'input', 'got'] },
  'train.dilated_gradient': { code: 'bad_input', details: ['layer', 'class_name', 'name', 'field'] },
  'train.layer_norm_gradient': { code: 'bad_input', details: ['layer', 'class_name', 'name', 'field'] },
  'spec.merge_shapes': { code: 'bad_input', details: ['layer', 'class_name', 'shapes', 'from'] },
  'spec.unconnected': { code: 'bad_input', details: ['layer', 'class_name', 'field'] },
  'spec.unknown_inbound': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'name'] },
  'spec.inbound_count': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'expected', 'got', 'inputs'] },
  'spec.cycle': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'cycle'] },
  'spec.dangling_output': { code: 'bad_input', details: ['layer', 'class_name', 'name', 'output', 'output_layer'] },
  'spec.reserved_name': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'name'] },
  'spec.input_layer_inbound': { code: 'bad_input', details: ['layer', 'class_name', 'field'] },
  'spec.strides_with_dilation': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'strides', 'dilation'] },
  'spec.no_shape_rule': { code: 'bad_input', details: ['layer', 'class_name'] },
  'spec.weights_count': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'given', 'expected', 'listing'] },
  'spec.weights_size': { code: 'bad_input', details: ['layer', 'class_name', 'field', 'index', 'name', 'shape', 'expected', 'got'] },
  // Data sets.
  'dataset.not_found': { code: 'not_found', details: ['dataset_id'] },
  'dataset.builtin': { code: 'conflict', details: ['dataset_id'] },
  'dataset.no_split': { code: 'not_found', details: ['name', 'split', 'present'] },
  // Data files (src/main/data: DataImportError, always bad_input; details carry file, line, column, offset where known, and problem: the English text).
  'dataset.not_tabular': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'dataset_id'] },
  'file.not_found': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem'] },
  'file.is_folder': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'kind'] },
  'file.not_regular': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'kind'] },
  'file.unreadable': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem'] },
  'data.bad_file': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem'] },
  'csv.empty': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem'] },
  'csv.no_rows': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem'] },
  'csv.all_skipped': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'skip_lines'] },
  'csv.not_utf8': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'encoding'] },
  'csv.binary': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'encoding'] },
  'csv.unclosed_quote': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem'] },
  'csv.text_after_quote': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'field'] },
  'csv.too_many_fields': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'limit', 'delimiter'] },
  'csv.row_too_long': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'limit'] },
  'csv.duplicate_name': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'first', 'second', 'name'] },
  'csv.one_column': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'delimiter'] },
  'csv.unknown_role_column': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'name', 'columns'] },
  'csv.unknown_column_index': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'index', 'width'] },
  'csv.no_target': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem'] },
  'csv.no_feature': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem'] },
  'csv.ragged_row': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'got', 'expected', 'delimiter', 'skip_lines'] },
  'csv.ragged_first_row': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'got', 'expected', 'delimiter', 'skip_lines'] },
  'csv.no_data_rows': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem'] },
  'csv.bad_number': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'got', 'numbers', 'filled'] },
  'csv.not_finite': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'got'] },
  'csv.missing_value': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'count', 'numeric'] },
  'csv.all_missing': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem'] },
  'csv.too_many_categories': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'limit'] },
  'csv.multiple_targets': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'count', 'names'] },
  'csv.too_many_classes': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'limit'] },
  'csv.too_many_classes_text': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'limit'] },
  'csv.one_class': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'value'] },
  'csv.regression_text': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'got', 'limit'] },
  'csv.regression_text_many': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'got', 'limit'] },
  'csv.all_dropped': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'rows'] },
  'csv.too_few_rows': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'rows'] },
  'idx.too_short': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'bytes', 'expected', 'compression'] },
  'idx.bad_magic': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'got', 'expected', 'kind', 'compression'] },
  'idx.empty': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem'] },
  'idx.too_large': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'bytes', 'limit'] },
  'idx.too_large_data': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'limit', 'compression'] },
  'idx.header_too_large': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'bytes', 'limit'] },
  'idx.gzip_twice': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem'] },
  'idx.gzip_truncated': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'bytes'] },
  'idx.gzip_corrupt': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'error'] },
  'idx.header_cut': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'bytes', 'expected'] },
  'idx.truncated': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'announced', 'got', 'compression'] },
  'idx.trailing_bytes': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'extra'] },
  'idx.zero_size': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'rows', 'cols'] },
  'idx.label_out_of_range': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'label', 'item', 'classes', 'last'] },
  'idx.count_mismatch': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'labels', 'images', 'images_file'] },
  'idx.test_pair': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem'] },
  'idx.test_size': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem', 'test', 'train'] },
  'idx.no_images': { code: 'bad_input', details: ['file', 'line', 'column', 'offset', 'problem'] },
  // Import warnings (a data set's `warnings`, not errors).
  'idx.empty_classes': { code: 'bad_input', details: ['classes', 'last', 'empty', 'count'] },
  // Runs.
  'run.not_found': { code: 'not_found', details: ['run_id'] },
  'run.name_blank': { code: 'bad_input', details: [] },
  'run.no_weights': { code: 'conflict', details: ['run', 'run_id'] },
  'run.weights_unavailable': { code: 'conflict', details: ['run', 'run_id', 'which', 'available'] },
  'run.elsewhere': { code: 'conflict', details: ['run_id', 'status', 'owner', 'action'] },
  'run.interrupted': { code: 'conflict', details: ['run_id', 'action'] },
  'run.ended': { code: 'conflict', details: ['run_id', 'status', 'action'] },
  'run.still_training': { code: 'conflict', details: ['run_id'] },
  'run.end_not_recorded': { code: 'conflict', details: ['run_id'] },
  'run.model_too_big': { code: 'bad_input', details: ['problem'] },
  'run.bad_monitor': { code: 'bad_input', details: ['problem'] },
  'run.bad_config': { code: 'bad_input', details: ['problem'] },
  'run.backend_unavailable': { code: 'conflict', details: ['backend', 'problem'] },
  'backend.missing_kernel': { code: 'conflict', details: ['layer', 'class_name', 'kernel', 'backend', 'alternative'] },
  'run.input_shape_mismatch': { code: 'bad_input', details: ['model_shape', 'data_shape', 'dataset'] },
  'model.name_blank': { code: 'bad_input', details: [] },
  // The Runs filter query (src/shared/run-query.ts); position is 1-based.
  'query.expected': { code: 'bad_input', details: ['position', 'expected', 'found'] },
  'query.unclosed_string': { code: 'bad_input', details: ['position', 'quote'] },
  'query.unknown_field': { code: 'bad_input', details: ['position', 'field', 'known'] },
  'query.unknown_param': { code: 'bad_input', details: ['position', 'name', 'known'] },
  'query.bad_value': { code: 'bad_input', details: ['position', 'field', 'got', 'expected'] },
  'query.bad_operator': { code: 'bad_input', details: ['position', 'field', 'operator', 'allowed'] },
  'query.or_unsupported': { code: 'bad_input', details: ['position', 'found'] },
  // Predictions.
  'predict.both_forms': { code: 'bad_input', details: [] },
  'predict.records_preprocessed': { code: 'bad_input', details: [] },
  'predict.bad_records': { code: 'bad_input', details: ['count', 'first'] },
  'predict.nothing': { code: 'bad_input', details: [] },
  'predict.row_width': { code: 'bad_input', details: ['row', 'got', 'expected'] },
  // Uploads.
  'upload.not_found': { code: 'not_found', details: ['upload'] },
  'upload.incomplete': { code: 'bad_input', details: ['name', 'size', 'expected'] },
  'upload.too_many': { code: 'conflict', details: ['open', 'idle_minutes'] },
  'upload.too_much_open': { code: 'conflict', details: ['announced', 'size', 'max'] },
  'upload.bad_name': { code: 'bad_input', details: ['name'] },
  'upload.too_big': { code: 'bad_input', details: ['name', 'size', 'max'] },
  'upload.bad_base64': { code: 'bad_input', details: ['name', 'offset'] },
  'upload.discarded': { code: 'not_found', details: ['name'] },
  'upload.out_of_order': { code: 'conflict', details: ['name', 'offset', 'received'] },
  'upload.overflow': { code: 'bad_input', details: ['name', 'expected'] },
  // Exports and model files.
  'export.failed': { code: 'bad_input', details: ['format', 'run', 'problem'] },
  'export.refused': { code: 'bad_input', details: ['format', 'problem'] },
  'model_file.no_weights': { code: 'bad_input', details: ['file'] },
  'model_file.input_shape_mismatch': { code: 'bad_input', details: ['file', 'model_shape', 'data_shape', 'dataset'] },
  'model_file.not_found': { code: 'not_found', details: ['file'] },
  'model_file.empty': { code: 'bad_input', details: ['file'] },
  'model_file.not_json': { code: 'bad_input', details: ['file', 'problem'] },
  'model_file.not_model': { code: 'bad_input', details: ['file'] },
  'model_file.wrong_container': { code: 'bad_input', details: ['file', 'expected'] },
  'model_file.damaged': { code: 'bad_input', details: ['file', 'problem'] },
  'model_file.incomplete': { code: 'bad_input', details: ['file', 'missing'] },
  'model_file.unsupported': { code: 'bad_input', details: ['file', 'problem'] },
  'model_file.invalid_spec': { code: 'bad_input', details: ['file', 'count', 'first', 'first_reason', 'layer', 'class_name', 'field'] },
  'model_file.weights_mismatch': { code: 'bad_input', details: ['file', 'layer', 'problem'] },
  'torch_job.bad': { code: 'bad_input', details: ['problem'] },
  'torch_job.dataset_missing': { code: 'not_found', details: ['source_run_id', 'dataset'] },
  // Hyperparameter sweeps (src/shared/sweep.ts, services/sweeps-service.ts).
  'sweep.bad_field': { code: 'bad_input', details: ['field'] },
  'sweep.unknown_field': { code: 'bad_input', details: ['field', 'known'] },
  'sweep.range_not_number': { code: 'bad_input', details: ['field', 'text'] },
  'sweep.bad_range': { code: 'bad_input', details: ['field', 'text'] },
  'sweep.bad_scale': { code: 'bad_input', details: ['field', 'text', 'got'] },
  'sweep.bad_count': { code: 'bad_input', details: ['field', 'text', 'got', 'max'] },
  'sweep.range_reversed': { code: 'bad_input', details: ['field', 'text', 'low', 'high'] },
  'sweep.log_nonpositive': { code: 'bad_input', details: ['field', 'text', 'low'] },
  'sweep.empty_value': { code: 'bad_input', details: ['field', 'text'] },
  'sweep.not_a_number': { code: 'bad_input', details: ['field', 'text', 'value'] },
  'sweep.not_an_integer': { code: 'bad_input', details: ['field', 'text', 'value'] },
  'sweep.not_a_boolean': { code: 'bad_input', details: ['field', 'text', 'value'] },
  'sweep.duplicate_value': { code: 'bad_input', details: ['field', 'text', 'value'] },
  'sweep.bad_trials': { code: 'bad_input', details: ['got', 'max'] },
  'sweep.no_axes': { code: 'bad_input', details: [] },
  'sweep.duplicate_field': { code: 'bad_input', details: ['field'] },
  'sweep.too_many': { code: 'bad_input', details: ['count', 'max'] },
  'sweep.invalid_config': { code: 'bad_input', details: ['label', 'field', 'problem'] },
  'sweep.field_dropped': { code: 'bad_input', details: ['label', 'field'] },
  'sweep.not_found': { code: 'not_found', details: ['sweep_id'] },
  'sweep.ended': { code: 'conflict', details: ['sweep_id', 'status', 'action'] }
} as const satisfies Record<string, { code: ErrorCode; details: readonly string[] }>

export type ErrorReason = keyof typeof ERROR_REASONS

export function isKnownReason(reason: unknown): reason is ErrorReason {
  return typeof reason === 'string' && Object.hasOwn(ERROR_REASONS, reason)
}

/** A TypedError for a registered reason: the code comes from the registry. */
export function reasonError(reason: ErrorReason, message: string, details?: ErrorDetails, cause?: unknown): TypedError {
  return new TypedError(ERROR_REASONS[reason].code, message, { reason, ...(details ? { details } : {}), ...(cause === undefined ? {} : { cause }) })
}

/** One detail value from anything (a shape, a list, a number): arrays and objects become short text. */
export function detailValue(value: unknown): ErrorDetail {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return typeof value === 'string' ? value.slice(0, 2000) : value
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value)
  if (value === undefined) return null
  try {
    return (JSON.stringify(value) ?? String(value)).slice(0, 2000)
  } catch {
    return String(value).slice(0, 2000)
  }
}
