// What happened after the user's last action, shown in a line of the page (NoticeLine.vue), never as a floating
// toast: a toast covered the table it reported on and outlived a sign-out. The line takes its own place in the
// flow, next to the form that acted (``place``) or at the top of the page, is announced by screen readers
// (role=status / alert), and is cleared on every navigation and on sign-out (router.ts), so a message never
// speaks about a page the user has left.
import { reactive } from 'vue'

export const notice = reactive<{ text: string; kind: 'success' | 'error' | null; place: string }>({ text: '', kind: null, place: 'page' })
let timer: number | undefined

function show(kind: 'success' | 'error', text: string, place: string): void {
  window.clearTimeout(timer)
  Object.assign(notice, { text, kind, place })
  // A success fades after a while; an error stays until the next action or page.
  if (kind === 'success') timer = window.setTimeout(clearNotice, 6000)
}

export const notify = {
  success: (text: string, place = 'page') => show('success', text, place),
  error: (text: string, place = 'page') => show('error', text, place),
}

export function clearNotice(): void {
  window.clearTimeout(timer)
  Object.assign(notice, { text: '', kind: null, place: 'page' })
}
