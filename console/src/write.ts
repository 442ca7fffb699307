// One write from a form: busy while it runs, and its refusal kept by the field each message names (shown next
// to that field; what names none, beside the form's button). What the form checks itself comes first.
import { ref, type Ref } from 'vue'
import { fieldErrors, Problem } from './api/client'

export function useWrite(fields: readonly string[]): {
  busy: Ref<boolean>
  errors: Ref<Record<string, string>>
  run: (checked: Record<string, string>, write: () => Promise<void>) => Promise<boolean>
} {
  const busy = ref(false)
  const errors = ref<Record<string, string>>({})
  async function run(checked: Record<string, string>, write: () => Promise<void>): Promise<boolean> {
    errors.value = checked
    if (Object.keys(checked).length) return false
    busy.value = true
    try {
      await write()
      return true
    } catch (e) {
      if (!(e instanceof Problem)) throw e
      errors.value = fieldErrors(e, fields)
      return false
    } finally {
      busy.value = false
    }
  }
  return { busy, errors, run }
}

/** The fields of ``form`` left empty, each with ``message``. */
export function blank<K extends string>(form: Record<K, string>, fields: readonly K[], message: string): Record<string, string> {
  return Object.fromEntries(fields.filter((f) => !form[f].trim()).map((f) => [f, message]))
}
