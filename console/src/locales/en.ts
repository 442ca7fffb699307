import type zh from './zh'

const en: typeof zh = {
  app: { title: 'Shiji console', skip: 'Skip to main content', signOut: 'Sign out', language: '中文', languageLabel: 'Switch to Chinese' },
  role: { cadre: 'Cadre', leader: 'Leader', clerk: 'Clerk', auditor: 'Auditor', audit_admin: 'Audit admin', system_admin: 'System admin', security_admin: 'Security admin' },
  nav: { me: 'My dossier', tasks: 'My tasks', search: 'Find cadres', units: 'Units and cadres', rankings: 'Rankings', warnings: 'Warnings', accessLog: 'Access log' },
  signIn: {
    title: 'Sign in', token: 'Bearer token', tokenHelp: 'Paste the token your organization department or identity provider issued.', submit: 'Sign in',
    malformed: 'This is not a valid token.', expired: 'This token has expired; get a new one.', notice_expired: 'Your session expired; sign in again.',
    notice_rejected: 'The token was not accepted (expired or wrongly signed); sign in again.', notice_signed_out: 'Signed out.',
    demo: 'People of the demo county (Qinhuangdao)', roleCol: 'Role · post', demoHelp: 'Embedded demo: pick a person to sign in as them.', as: 'Sign in as',
  },
  common: {
    loading: 'Loading…', asOf: 'As of', refresh: 'Refresh', name: 'Name', unit: 'Unit', id: 'ID', points: 'Points', total: 'Total',
    status: 'Status', date: 'Date', none: 'None', open: 'Open', more: 'Load more', saved: 'Saved', error: 'Something went wrong', back: 'Back',
    cadreId: 'Cadre ID', comment: 'Comment', submit: 'Submit', cancel: 'Cancel', period: 'Quarter',
  },
  me: { title: 'My performance dossier', posts: 'Posts', entries: 'List entries', reports: 'Quarterly reports', missing: 'Quarters not reported' },
  chart: {
    title: 'Dynamic points', quarterly: 'Quarter points', rolling: 'Three-year total', summary: 'As of {asOf}: {total} points over three years (positive {positive}, negative {negative}, {entries} entries).',
  },
  report: {
    title: 'Quarterly report', key_work: 'Key work completed', indicator_progress: 'Progress on assigned indicators', most_satisfied: 'Most satisfied with', least_satisfied: 'Least satisfied with',
    save: 'Save draft', submit: 'Submit', savedDraft: 'Draft saved', submitted: 'Submitted; awaiting your superior', required: 'Required',
    status: { draft: 'Draft', submitted: 'Submitted', filed: 'Filed', returned: 'Returned', endorsed: 'Endorsed' },
  },
  leader: {
    endorse: 'Endorse', return: 'Return',
    returnComment: 'Why it is returned', endorsed: 'Endorsed', returned: 'Returned', nothing: 'No report awaits endorsement.',
  },
  tasks: {
    title: 'My tasks', nothing: 'Nothing waits for you.', reports: 'Reports awaiting endorsement', achievements: 'Achievements awaiting verification',
    appeals: 'Appeals awaiting a decision', since: 'Waiting since', achievement: 'Achievement', entry: 'Entry appealed', verify: 'Verify',
    reject: 'Reject', verified: 'Verified', rejected: 'Rejected', commentOrReason: 'Comment or reason',
    needCategory: 'Pick a category and give the points', rejectReason: 'Give the reason for rejecting',
  },
  search: {
    title: 'Find cadres', post: 'Post', posts: 'Posts held', member: 'Members', submit: 'Search', results: 'Results', nothing: 'No cadre matches.',
    leadership: { chief: 'chief', deputy: 'deputy', member: 'member' },
  },
  units: { title: 'Units and cadres', tree: 'Units', expand: 'expand or collapse', cadres: 'Cadres', pick: 'Pick a unit to see its cadres and their screening.', verdict: 'Screening' },
  cadre: { title: "Cadre's dossier", record: 'Record a list entry', screening: 'Promotion screening', rules: 'Rule', reason: 'Reason', source: 'Source' },
  verdict: { eligible: 'Eligible', ineligible: 'Ineligible', undetermined: 'Undetermined' },
  rule: { pass: 'Pass', fail: 'Fail', unknown: 'Unknown' },
  entry: {
    title: 'Record a positive/negative-list entry', kind: 'Kind', positive: 'Positive', negative: 'Negative', achievement: 'Achievement', category: 'Category', titleField: 'Title', points: 'Points',
    range: 'Points from {min} to {max}', sign: 'Positive entries score above zero, negative ones below', effective: 'Effective date', reason: 'Reason (basis)', document: 'Document',
    basisRequired: 'A basis is required', recorded: 'Recorded', impactStart: 'Impact period from', impactEnd: 'Impact period to',
  },
  rankings: { title: 'Rankings', class: 'Unit class', leadership: 'Leadership', chief: 'Chiefs', deputy: 'Deputies', rank: 'Rank', band: 'Two ends', top: 'Top 30 %', bottom: 'Bottom 10 %',
    classes: { economic_department: 'Economic departments', social_development_department: 'Social development', other_institution: 'Other institutions' } },
  warnings: { title: 'Warnings', level: 'Level', yellow: 'Yellow', red: 'Red', kind: 'Kind', detail: 'Detail', raised: 'Raised on', active: 'Active', cleared: 'Cleared', all: 'All' },
  log: { title: 'Access log', needCadre: 'Enter a cadre ID and filter (auditors read one cadre at a time).', subject: 'Subject', since: 'Since', until: 'Until', filter: 'Filter', time: 'Time', action: 'Action', path: 'Path', outcome: 'Outcome' },
  nothing: { title: 'Nothing to show', text: 'This role does not read dossiers.' },
}
export default en
