// The names of the units in the caller's jurisdiction, fetched once per sign-in: the assessment's answers name
// their subjects by unit id.
import { ref } from 'vue'
import { api } from './api/client'

const names = ref<Record<string, string>>({})
let loading: Promise<void> | null = null

export function useUnitNames(): { name: (id: string) => string } {
  loading ??= api.units().then((u) => {
    names.value = Object.fromEntries(u.units.map((x) => [x.unit_id, x.name]))
  }).catch(() => {
    loading = null // a failed read is tried again by the next page; the ids stand in meanwhile
  })
  return { name: (id: string) => names.value[id] ?? id }
}

export function forgetUnitNames(): void {
  names.value = {}
  loading = null
}
