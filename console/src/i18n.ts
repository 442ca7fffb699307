import { createI18n } from 'vue-i18n'
import en from './locales/en'
import zh from './locales/zh'

const saved = localStorage.getItem('shiji.locale')
export const i18n = createI18n({
  legacy: false,
  locale: saved === 'en' ? 'en' : 'zh',
  fallbackLocale: 'zh',
  messages: { zh, en },
})

export function setLocale(locale: 'zh' | 'en'): void {
  i18n.global.locale.value = locale
  localStorage.setItem('shiji.locale', locale)
  document.documentElement.lang = locale === 'zh' ? 'zh-CN' : 'en'
}
setLocale(i18n.global.locale.value === 'en' ? 'en' : 'zh')
