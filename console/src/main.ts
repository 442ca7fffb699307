import 'element-plus/theme-chalk/base.css'
import './theme.css'
import { notify } from './notice'
import { createApp } from 'vue'
import App from './App.vue'
import { Problem } from './api/client'
import { i18n } from './i18n'
import { router } from './router'

// A refused call the page did not handle itself is shown, not thrown; a 401 has already signed the user out.
function shown(e: unknown): boolean {
  if (!(e instanceof Problem)) return false
  if (e.status !== 401) notify.error(e.message)
  return true
}
const app = createApp(App)
app.config.errorHandler = (e) => {
  if (!shown(e)) console.error(e)
}
window.addEventListener('unhandledrejection', (event) => {
  if (shown(event.reason)) event.preventDefault()
})
app.use(i18n).use(router).mount('#app')
