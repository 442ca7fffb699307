// "As the system knew it" (known_at): the moment a page is shown as of, kept in the route's query
// (?known_at=2026-03-01T09:00:00Z) so it survives a reload and can be shared; none means now.
import { computed, type ComputedRef } from 'vue'
import { useRoute, useRouter } from 'vue-router'

export function useKnownAt(): { knownAt: ComputedRef<string | null>; setKnownAt: (iso: string | null) => void } {
  const route = useRoute()
  const router = useRouter()
  const knownAt = computed(() => (typeof route.query.known_at === 'string' && route.query.known_at ? route.query.known_at : null))
  function setKnownAt(iso: string | null): void {
    const query = { ...route.query }
    if (iso) query.known_at = iso
    else delete query.known_at
    void router.replace({ query })
  }
  return { knownAt, setKnownAt }
}
