// The signed-in person: their token in session storage (gone when the tab closes) and its claims.
// The console only reads the claims to choose pages; the gateway decides what each call may do.
import { reactive } from 'vue'

const KEY = 'shiji.token'

export interface Claims {
  sub: string
  role: string
  unit?: string
  exp: number
}

export function decodeClaims(token: string): Claims | null {
  const part = token.trim().split('.')[1]
  if (!part) return null
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=')
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as Partial<Claims>
    if (typeof claims.sub !== 'string' || typeof claims.role !== 'string' || typeof claims.exp !== 'number') return null
    return claims as Claims
  } catch {
    return null
  }
}

interface Session {
  token: string | null
  claims: Claims | null
  notice: 'expired' | 'rejected' | 'signed_out' | null
}

function restored(): Session {
  const token = sessionStorage.getItem(KEY)
  const claims = token ? decodeClaims(token) : null
  if (!token || !claims || claims.exp * 1000 <= Date.now()) {
    sessionStorage.removeItem(KEY)
    return { token: null, claims: null, notice: token ? 'expired' : null }
  }
  return { token, claims, notice: null }
}

export const session = reactive<Session>(restored())
let timer: number | undefined

function watchExpiry(): void {
  window.clearTimeout(timer)
  if (!session.claims) return
  const ms = session.claims.exp * 1000 - Date.now()
  timer = window.setTimeout(() => signOut('expired'), Math.max(0, Math.min(ms, 2 ** 31 - 1)))
}
watchExpiry()

/** Keep ``token`` if it reads as a token that has not expired; the reason it was refused otherwise. */
export function signIn(token: string): 'ok' | 'malformed' | 'expired' {
  const claims = decodeClaims(token)
  if (!claims) return 'malformed'
  if (claims.exp * 1000 <= Date.now()) return 'expired'
  sessionStorage.setItem(KEY, token.trim())
  Object.assign(session, { token: token.trim(), claims, notice: null })
  watchExpiry()
  return 'ok'
}

let onSignOut: (() => void) | null = null
export function whenSignedOut(callback: () => void): void {
  onSignOut = callback
}

export function signOut(notice: Session['notice'] = 'signed_out'): void {
  sessionStorage.removeItem(KEY)
  Object.assign(session, { token: null, claims: null, notice })
  window.clearTimeout(timer)
  onSignOut?.()
}

/** The first page of each role. */
export function homeOf(role: string | undefined): string {
  switch (role) {
    case 'cadre':
    case 'leader':
      return '/me'
    case 'clerk':
    case 'auditor':
      return '/units'
    case 'audit_admin':
      return '/access-log'
    default:
      return '/nothing'
  }
}
