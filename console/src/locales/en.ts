import type zh from './zh'

const en: typeof zh = {
  app: { title: 'Shiji console', skip: 'Skip to main content', signOut: 'Sign out', language: '中文', languageLabel: 'Switch to Chinese' },
  role: { cadre: 'Cadre', leader: 'Leader', clerk: 'Clerk', auditor: 'Auditor', audit_admin: 'Audit admin', system_admin: 'System admin', security_admin: 'Security admin' },
  nav: { me: 'My dossier', tasks: 'My tasks', search: 'Find cadres', units: 'Units and cadres', rankings: 'Rankings', warnings: 'Warnings', accessLog: 'Access log', assessment: 'Assessment', imports: 'Bulk import', whatIf: 'What-if' },
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
  entryStatus: { active: 'Active', under_appeal: 'Under appeal', revoked: 'Revoked' },
  appeal: {
    title: 'Appeal', file: 'Appeal', grounds: 'Grounds of the appeal', filed: 'Appeal filed; the organization department will decide', reason: 'Reason for the decision',
    needReason: 'Give the reason for the decision', uphold: 'Uphold', revoke: 'Revoke the entry', upheld: 'The entry stands', revoked: 'The entry is revoked',
    mine: 'My appeals', outcome: 'Outcome', pending: 'Awaiting a decision', outcomes: { upheld: 'Upheld', revoked: 'Revoked' },
  },
  achievement: {
    title: 'Report a key achievement', list: 'Key achievements', titleField: 'Achievement', description: 'What was done', date: 'Date achieved', claim: 'Report',
    claimed: 'Reported; awaiting your superior', status: { claimed: 'Awaiting verification', verified: 'Verified', rejected: 'Rejected' },
  },
  knownAt: {
    label: 'As the system knew it', help: 'Pick a past moment: the page shows what the system had recorded by then.', show: 'Show', now: 'Back to now',
    banner: 'This is what the system knew at {at}: later records and corrections are not shown.',
  },
  download: { pdf: 'Download the appraisal sheet (PDF)', xlsx: 'Export to Excel', year: 'Year', failed: 'The download failed' },
  assessment: {
    title: 'Annual comprehensive assessment', scheme: 'Scheme ID', year: 'Year', show: 'Show results', cls: 'Class', allClasses: 'All classes', subject: 'Subject',
    composite: 'Composite', rank: 'Rank', calculated: 'By score', proposed: 'Proposed', decided: 'Decided', band: 'Two ends', top: 'Top', bottom: 'Bottom',
    blocked: 'Cannot be computed', none: 'Enter a scheme and a year to see its results.', ends: 'Two ends: top 30 % and bottom 10 %', explain: 'How the composite is made',
    component: 'Component', weight: 'Weight', score: 'Score', contribution: 'Contribution', indicator: 'Indicator', raw: 'Raw', basis: 'Basis', points: 'Points',
    status: 'Status', missing: 'Missing inputs', fired: 'Rules fired', proposal: 'Grade proposal', consequences: 'What the proposed grade entails', rule: 'Rule',
    source: 'Source', message: 'Message', decide: 'Decide the grade', grade: 'Grade', departure: 'Why the decision departs from the proposal',
    departureRule: 'Why it departs from rule “{rule}”', correction: 'Reason for the correction (a decision of this year exists)', record: 'Record the decision',
    recordedDecision: 'Decision recorded', back: 'Back to the results', decidedAt: 'decided {at}', needDeparture: 'The grade departs from the proposal: say why',
    grades: { merit: 'Merit', pass: 'Pass', fail: 'Fail', excellent: 'Excellent', good: 'Good', average: 'Average', poor: 'Poor', competent: 'Competent', basically_competent: 'Basically competent', incompetent: 'Incompetent' },
  },
  imports: {
    title: 'Bulk import', operation: 'Operation imported', template: 'Download the template (Excel)', file: 'File (CSV or Excel)', start: 'Import', sending: 'Uploading {pct}%',
    working: 'Checking and recording each row…', rows: '{rows} rows: {recorded} recorded, {replayed} already there, {refused} refused', row: 'Row', field: 'Field',
    rule: 'Rule', message: 'Problem', errorWorkbook: 'Download the workbook with its errors marked', noFile: 'Choose a file', columns: 'Columns', required: 'required',
  },
  whatIf: {
    title: 'What-if', help: "Change the rule set's parameters and see what would change for the unit's cadres: totals, screening verdicts, ranking ends (read-only).",
    unit: 'Unit', run: 'Run', changed: 'Verdicts that change', totals: 'Totals that change', cadre: 'Cadre', before: 'Now', after: 'Proposed', nothing: 'Nothing changes.',
    fields: { years_in_post_min: 'Minimum years in post', mass_satisfaction_min: 'Minimum mass satisfaction', third_prize_bar_years: 'Years a third prize bars', top_share: 'Top share', bottom_share: 'Bottom share' },
    summary: 'Eligible: {current} now, {proposed} under the proposal; {affected} of {cadres} cadres change',
  },
}
export default en
