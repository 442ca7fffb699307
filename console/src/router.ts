import { createRouter, createWebHashHistory } from 'vue-router'
import { homeOf, session, whenSignedOut } from './session'

// Hash history: the gateway serves static files and has no fallback to index.html for other paths.
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: () => (session.claims ? homeOf(session.claims.role) : '/sign-in') },
    { path: '/sign-in', component: () => import('./pages/SignIn.vue'), meta: { public: true } },
    { path: '/me', component: () => import('./pages/MyDossier.vue') },
    { path: '/tasks', component: () => import('./pages/TasksPage.vue') },
    { path: '/reports', redirect: '/tasks' },
    { path: '/search', component: () => import('./pages/CadreSearch.vue') },
    { path: '/units', component: () => import('./pages/UnitsPage.vue') },
    { path: '/cadres/:id', component: () => import('./pages/CadrePage.vue'), props: true },
    { path: '/rankings', component: () => import('./pages/RankingsPage.vue') },
    { path: '/warnings', component: () => import('./pages/WarningsPage.vue') },
    { path: '/access-log', component: () => import('./pages/AccessLogPage.vue') },
    { path: '/nothing', component: () => import('./pages/NothingPage.vue') },
    { path: '/:rest(.*)', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if (!to.meta.public && !session.token) return '/sign-in'
  return true
})

whenSignedOut(() => {
  void router.push('/sign-in')
})
