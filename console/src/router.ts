import { createRouter, createWebHashHistory } from 'vue-router'
import { clearNotice } from './notice'
import { homeOf, session, whenSignedOut } from './session'
import { forgetUnitNames } from './unitNames'

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
    { path: '/assessments', component: () => import('./pages/AssessmentPage.vue') },
    { path: '/assessments/:scheme/:year/:subject', component: () => import('./pages/AssessmentSubject.vue'), props: true },
    { path: '/imports', component: () => import('./pages/ImportPage.vue') },
    { path: '/what-if', component: () => import('./pages/WhatIfPage.vue') },
    { path: '/nothing', component: () => import('./pages/NothingPage.vue') },
    { path: '/:rest(.*)', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if (!to.meta.public && !session.token) return '/sign-in'
  return true
})

// A notice speaks about the page it was given on: gone when the user moves on or signs out.
router.afterEach((to, from) => {
  if (to.path !== from.path) clearNotice()
})

whenSignedOut(() => {
  clearNotice()
  forgetUnitNames()
  void router.push('/sign-in')
})
