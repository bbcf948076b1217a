// The error words the views show (describeError, specErrorText, reasonText): they live in
// src/renderer/src/lib/errors.ts, so that stores use them without importing a component.
export * from '../lib/errors'
