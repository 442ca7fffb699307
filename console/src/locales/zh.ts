export default {
  app: { title: '实绩档案工作台', skip: '跳到主要内容', signOut: '退出', language: 'English', languageLabel: '切换到英文' },
  role: { cadre: '干部', leader: '领导', clerk: '组工干部', auditor: '审计', audit_admin: '审计管理员', system_admin: '系统管理员', security_admin: '安全管理员' },
  nav: { me: '我的档案', tasks: '我的待办', search: '干部查询', units: '单位与干部', rankings: '排名', warnings: '预警', accessLog: '访问日志' },
  signIn: {
    title: '登录', token: '令牌（Bearer token）', tokenHelp: '粘贴组织部或身份认证系统签发的令牌。', submit: '登录',
    malformed: '这不是一个有效的令牌。', expired: '令牌已过期，请重新获取。', notice_expired: '会话已过期，请重新登录。',
    notice_rejected: '令牌未被接受（已过期或签名无效），请重新登录。', notice_signed_out: '已退出。',
    demo: '演示县（秦皇岛）人员', roleCol: '角色 · 职务', demoHelp: '内置演示环境：选择一个人，以其身份登录。', as: '以此身份登录',
  },
  common: {
    loading: '加载中…', asOf: '截至日期', refresh: '刷新', name: '姓名', unit: '单位', id: '编号', points: '分值', total: '总分',
    status: '状态', date: '日期', none: '无', open: '打开', more: '加载更多', saved: '已保存', error: '出错了', back: '返回',
    cadreId: '干部编号', comment: '意见', submit: '提交', cancel: '取消', period: '季度',
  },
  me: { title: '我的实绩档案', posts: '任职', entries: '正负面清单', reports: '季度报告', missing: '未提交的季度' },
  chart: {
    title: '动态积分', quarterly: '季度积分', rolling: '近三年累计', summary: '截至 {asOf}，近三年动态积分 {total}（正面 {positive}，负面 {negative}，{entries} 条）。',
  },
  report: {
    title: '填写季度报告', key_work: '重点工作完成情况', indicator_progress: '上级交办指标任务进展', most_satisfied: '最满意的工作', least_satisfied: '最不满意的工作',
    save: '保存草稿', submit: '提交', savedDraft: '草稿已保存', submitted: '已提交，等待上级审核', required: '请填写此项',
    status: { draft: '草稿', submitted: '已提交', filed: '已归档', returned: '已退回', endorsed: '已审核' },
  },
  leader: {
    endorse: '审核通过', return: '退回',
    returnComment: '退回意见', endorsed: '已审核通过', returned: '已退回', nothing: '没有待审核的报告。',
  },
  tasks: {
    title: '我的待办', nothing: '没有待办事项。', reports: '待审核的季度报告', achievements: '待核实的实绩', appeals: '待决定的申诉',
    since: '等待自', achievement: '实绩', entry: '申诉的事项', verify: '核实', reject: '不予认定', verified: '已核实', rejected: '已不予认定',
    commentOrReason: '意见或理由', needCategory: '请选择类别并填写分值', rejectReason: '请填写不予认定的理由',
  },
  search: {
    title: '干部查询', post: '职务', posts: '现任职务', member: '一般干部', submit: '查询', results: '查询结果', nothing: '没有符合条件的干部。',
    leadership: { chief: '正职', deputy: '副职', member: '一般干部' },
  },
  units: { title: '单位与干部', tree: '单位', expand: '展开或收起', cadres: '干部', pick: '选择一个单位查看其干部与筛查结果。', verdict: '筛查结论' },
  cadre: { title: '干部档案', record: '记录一条清单事项', screening: '提拔筛查', rules: '规则', reason: '理由', source: '依据' },
  verdict: { eligible: '符合', ineligible: '不符合', undetermined: '待定' },
  rule: { pass: '通过', fail: '未通过', unknown: '未知' },
  entry: {
    title: '记录正负面清单事项', kind: '类型', positive: '正面', negative: '负面', achievement: '实绩', category: '类别', titleField: '事项', points: '分值',
    range: '分值范围 {min} 至 {max}', sign: '正面清单为正分，负面清单为负分', effective: '发生日期', reason: '事由（依据）', document: '文件依据',
    basisRequired: '必须填写依据', recorded: '已记录', impactStart: '影响期开始', impactEnd: '影响期结束',
  },
  rankings: { title: '排名', class: '单位类别', leadership: '职务层次', chief: '正职', deputy: '副职', rank: '名次', band: '两头', top: '前30%', bottom: '后10%',
    classes: { economic_department: '经济部门', social_development_department: '社会发展部门', other_institution: '其他单位' } },
  warnings: { title: '预警', level: '级别', yellow: '黄色', red: '红色', kind: '类型', detail: '说明', raised: '发出日期', active: '生效中', cleared: '已解除', all: '全部' },
  log: { title: '访问日志', needCadre: '输入干部编号后筛选（审计按干部查看）。', subject: '访问者', since: '起始时间', until: '截止时间', filter: '筛选', time: '时间', action: '操作', path: '路径', outcome: '结果' },
  nothing: { title: '无可用页面', text: '此角色不查看干部档案。' },
}
