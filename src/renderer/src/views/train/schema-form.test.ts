import { describe, expect, it } from 'vitest'
import { describeFields, variantDefaults, variantNames, variantOf, SCHEDULE_FALLBACKS } from './schema-form'
import { earlyStoppingSchema, optimizerSchema, scheduleSchema } from '../../../../shared/training'

describe('schema-generated fields', () => {
  it('lists every optimizer the back end accepts', () => {
    expect(variantNames(optimizerSchema, 'name')).toEqual(['sgd', 'rmsprop', 'adam', 'adagrad', 'adadelta', 'adamax'])
  })
  it('describes SGD fields with kinds, bounds and defaults', () => {
    const sgd = variantOf(optimizerSchema, 'name', 'sgd')
    expect(sgd).not.toBeNull()
    const fields = describeFields(sgd!, ['name'])
    expect(fields.map((f) => f.key)).toEqual(['learning_rate', 'momentum', 'nesterov'])
    expect(fields[0]).toMatchObject({ kind: 'number', default: 0.01, min: 0 })
    expect(fields[2]).toMatchObject({ kind: 'boolean', default: false })
  })
  it('describes integer and enum fields', () => {
    const fields = describeFields(earlyStoppingSchema)
    expect(fields.find((f) => f.key === 'patience')).toMatchObject({ kind: 'integer', default: 5, min: 0 })
    expect(fields.find((f) => f.key === 'mode')).toMatchObject({ kind: 'enum', options: ['auto', 'min', 'max'] })
  })
  it('builds complete variant values that the schema accepts', () => {
    for (const name of variantNames(optimizerSchema, 'name')) expect(optimizerSchema.safeParse(variantDefaults(optimizerSchema, 'name', name)).success).toBe(true)
    for (const kind of variantNames(scheduleSchema, 'kind')) expect(scheduleSchema.safeParse(variantDefaults(scheduleSchema, 'kind', kind, SCHEDULE_FALLBACKS)).success, kind).toBe(true)
    expect(variantDefaults(optimizerSchema, 'name', 'adam')).toEqual({ name: 'adam', learning_rate: 0.001, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 })
  })
  it('refuses an unknown variant by name', () => {
    expect(() => variantDefaults(optimizerSchema, 'name', 'lion')).toThrow(/lion/)
  })
})
