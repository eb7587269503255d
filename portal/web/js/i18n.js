// SPDX-License-Identifier: Apache-2.0
// i18n.js — every string the portal pages show, in Chinese (zh-CN, the
// default) and English, plus the helpers that put them on the page.
//
// Pages mark static text in HTML with data-i18n="key" (textContent),
// data-i18n-placeholder, data-i18n-aria-label and data-i18n-title; code
// calls t('key', {var: value}) for text it builds. The chosen language is
// kept in localStorage ('yj.lang') and can be forced once with ?lang=en.
// Changing it fires a 'yj-lang' event on window so a page can redraw the
// parts it built itself. This module must stay importable outside a
// browser (the tests load it in node to check both languages are complete),
// so it touches window/document/localStorage only inside functions.

export const LANGS = ['zh-CN', 'en'];
export const DEFAULT_LANG = 'zh-CN';
const STORE_KEY = 'yj.lang';

export const MESSAGES = {
  'zh-CN': {
    'app.name': '远程教育平台',
    'app.title.signin': '登录 — 远程教育平台',
    'app.title.orgs': '组织与党员 — 远程教育平台',
    'app.title.import': '导入党员名单 — 远程教育平台',
    'app.title.record': '党员电子活动证 — 远程教育平台',
    'lang.switch': 'English',
    'lang.switch.label': 'Switch to English',
    'nav.orgs': '组织与党员',
    'nav.import': '导入名单',
    'nav.record': '我的记录',
    'nav.signout': '退出登录',
    'nav.signed_in_as': '当前用户：{name}',
    'common.loading': '正在加载…',
    'common.retry': '重试',
    'common.back': '返回',
    'common.yes': '是',
    'common.no': '否',
    'common.none': '—',
    'common.hours': '{n} 小时',
    'common.people': '{n} 人',
    'common.close': '关闭',
    'common.list_sep': '、',

    'err.network': '连不上服务器。请检查网络后再试。',
    'err.server': '服务器出错了（{status}）。请稍后再试，或联系管理员。',
    'err.forbidden': '您没有权限查看这里的内容。',
    'err.not_found': '没有找到要查看的内容。',
    'err.session': '登录已过期，请重新登录。',
    'err.rate_limited': '尝试次数太多，请 {s} 秒后再试。',
    'err.rate_limited_later': '尝试次数太多，请稍后再试。',

    'signin.heading': '登录',
    'signin.intro': '请选择您的身份，然后填写下面的内容。',
    'signin.tab.member': '党员登录',
    'signin.tab.admin': '管理员登录',
    'signin.username': '用户名',
    'signin.password': '密码',
    'signin.show_password': '显示密码',
    'signin.id_number': '身份证号',
    'signin.id_number.hint': '18 位，最后一位可以是 X（大小写都可以）',
    'signin.method': '登录方式',
    'signin.method.password': '用密码',
    'signin.method.code': '用一次性验证码',
    'signin.code': '一次性验证码',
    'signin.code.hint': '8 位数字，向支部管理员索取，24 小时内有效，只能用一次',
    'signin.submit': '登录',
    'signin.busy': '正在登录…',
    'signin.already': '您已经以“{name}”的身份登录。',
    'signin.continue': '继续',
    'signin.need_username': '请填写用户名。',
    'signin.need_password': '请填写密码。',
    'signin.need_id_number': '请填写身份证号。',
    'signin.need_code': '请填写验证码。',
    'signin.bad_code': '验证码是 8 位数字，请核对。',
    'signin.bad_credentials': '用户名或密码不对，请核对后再试。',
    'signin.bad_credentials_member': '身份证号、密码或验证码不对，请核对后再试。',

    'id.length': '身份证号应为 18 位，您填了 {n} 位。',
    'id.format': '身份证号前 17 位只能是数字，最后一位是数字或 X。',
    'id.check': '身份证号最后一位（校验位）不对，请逐位核对。',

    'orgs.heading': '组织与党员',
    'orgs.tree': '组织结构',
    'orgs.tree.hint': '点组织名称查看党员；点 ▸ 展开下级组织。',
    'orgs.expand': '展开 {name}',
    'orgs.collapse': '收起 {name}',
    'orgs.expand_all': '全部展开',
    'orgs.code': '组织编码 {code}',
    'orgs.summary': '概况',
    'orgs.summary.members': '党员人数',
    'orgs.summary.hours': '{year} 年学习时长',
    'orgs.summary.top': '学习时长排名（前 {n} 名）',
    'orgs.summary.no_ranking': '今年还没有学习记录。',
    'orgs.summary.includes_sub': '含下级组织',
    'orgs.members': '党员名单',
    'orgs.search': '查找党员',
    'orgs.search.placeholder': '姓名、身份证号或手机号',
    'orgs.search.submit': '查找',
    'orgs.search.clear': '清除',
    'orgs.subtree': '包括下级组织的党员',
    'orgs.col.name': '姓名',
    'orgs.col.id_number': '身份证号',
    'orgs.col.org': '所在组织',
    'orgs.col.status': '类别',
    'orgs.col.phone': '手机',
    'orgs.col.record': '活动证',
    'orgs.open_record': '查看',
    'orgs.empty': '没有找到党员。',
    'orgs.empty_search': '没有找到与“{q}”相符的党员。',
    'orgs.page': '第 {from}–{to} 条，共 {total} 条',
    'orgs.prev': '上一页',
    'orgs.next': '下一页',
    'orgs.import': '导入党员名单',
    'orgs.export': '下载名单（CSV）',
    'orgs.none': '您的账号下没有组织。',
    'orgs.choose': '请在上面的组织结构中选择一个组织。',

    'import.heading': '导入党员名单',
    'import.intro': '用表格软件（如 WPS、Excel）按模板填好名单，另存为“CSV UTF-8”格式，再在这里上传。只要有一行有错，就一行也不导入；请按提示改好后重新上传。',
    'import.org': '导入到哪个组织',
    'import.org.hint': '名单里没有填“组织编码”的党员，都放到这个组织。',
    'import.file': '选择名单文件',
    'import.file.hint': 'CSV 文件，最大 16 MB。',
    'import.file.none': '还没有选择文件。',
    'import.file.chosen': '已选择：{name}（{size}）',
    'import.submit': '开始导入',
    'import.busy': '正在导入，请稍候…',
    'import.need_file': '请先选择一个名单文件。',
    'import.too_big': '文件太大了（最大 16 MB）。请把名单分成几个文件。',
    'import.empty_file': '这个文件是空的。',
    'import.converted': '文件不是 UTF-8 编码，已自动按 GBK/GB18030 转换。',
    'import.not_text': '这个文件读不出文字，请确认选的是 CSV 文件。',
    'import.ok': '导入成功：共 {n} 名党员。',
    'import.ok.back': '查看该组织的党员名单',
    'import.ok.detail': '其中新增 {created} 名，更新 {updated} 名。',
    'import.ignored': '这些栏目不认识，已经忽略：{cols}。如果它们应当导入，请按模板改正表头后重新导入。',
    'import.truncated': '错误太多，下面只列出了前 {n} 处。',
    'import.refused': '名单里有 {n} 行有错，一行也没有导入。请改正下面列出的行，再重新上传。',
    'import.reselect': '文件在选择之后被改动过，请重新选择一次文件。',
    'import.result': '导入结果',
    'import.col.line': '行号',
    'import.col.field': '栏目',
    'import.col.reason': '原因',
    'import.col.content': '该行内容',
    'import.line': '第 {n} 行',
    'import.field.none': '整行',
    'import.downloads': '模板与导出',
    'import.template': '下载空白模板（CSV）',
    'import.export': '下载本组织现有名单（CSV）',
    'import.columns': '名单各栏说明',
    'import.columns.required': '必填',
    'import.columns.optional': '可不填',
    'import.col_help.id_number': '18 位身份证号',
    'import.col_help.name': '真实姓名',
    'import.col_help.gender': '男 / 女；可不填，由身份证号自动得出',
    'import.col_help.birth_date': '如 1960-05-01；可不填，由身份证号自动得出',
    'import.col_help.phone': '11 位手机号',
    'import.col_help.org_code': '所属组织的编码；不填则放入上面选的组织',
    'import.col_help.joined_on': '如 1985-07-01',
    'import.col_help.status': '正式党员 / 预备党员',
    'import.col_help.migrant': '是 / 否',
    'import.col_help.location': '流动党员的现居地，如 广东省深圳市',

    'field.id_number': '身份证号',
    'field.name': '姓名',
    'field.gender': '性别',
    'field.birth_date': '出生日期',
    'field.phone': '手机',
    'field.org_code': '组织编码',
    'field.joined_on': '入党日期',
    'field.status': '状态',
    'field.migrant': '流动党员',
    'field.location': '现居地',
    'field.header': '表头',
    'field.file': '文件',

    'reason.invalid_id_number': '身份证号不正确（位数、出生日期或最后一位校验位不对）。',
    'reason.id_number_mismatch': '与身份证号里的信息不一致。',
    'reason.missing_field': '这一栏必须填写。',
    'reason.required': '这一栏必须填写。',
    'reason.invalid_date': '日期不对，请写成 2001-07-01 这样。',
    'reason.invalid_phone': '手机号不对，应为 11 位数字。',
    'reason.invalid_status': '状态只能填“正式党员”或“预备党员”。',
    'reason.invalid_migrant': '“流动党员”一栏只能填“是”或“否”。',
    'reason.invalid_gender': '性别只能填“男”或“女”。',
    'reason.unknown_org': '没有这个组织编码。',
    'reason.org_not_found': '没有这个组织编码。',
    'reason.out_of_scope': '这个组织不在您的管理范围内。',
    'reason.forbidden': '这个组织不在您的管理范围内。',
    'reason.duplicate': '这个身份证号在文件里出现了不止一次。',
    'reason.duplicate_id_number': '这个身份证号在文件里出现了不止一次。',
    'reason.too_long': '内容太长。',
    'reason.unknown_column': '表头里有看不懂的栏目名。',
    'reason.missing_column': '表头缺少必需的栏目。',
    'reason.bad_row': '这一行的格式不对（栏数不对或引号没有配对）。',
    'reason.invalid_csv': '文件格式不对。',
    'reason.invalid_name': '姓名不对（不能为空，也不能太长）。',
    'reason.invalid_org_code': '组织编码不对，或不在您的管理范围内。',
    'reason.invalid_location': '现居地内容不对。',
    'reason.invalid_text': '这一栏有无法识别的字符。',
    'reason.unknown_field': '表头里有看不懂的栏目名。',
    'reason.invalid_type': '这一栏的内容类型不对。',
    'reason.empty_file': '文件是空的，或者没有表头行。',
    'reason.csv_syntax': '这一行的引号没有配对，或格式不对。',
    'reason.duplicate_column': '表头里同一个栏目出现了两次。',
    'reason.too_many_fields': '这一行的栏数比表头多。',
    'reason.too_many_rows': '一个文件里的党员太多了，请分成几个文件。',
    'reason.member_out_of_reach': '这个身份证号属于其他组织的党员，请联系该组织的管理员办理转接。',
    'reason.generic': '这一栏内容有误。',

    'record.heading': '党员电子活动证',
    'record.profile': '基本信息',
    'record.name': '姓名',
    'record.id_number': '身份证号',
    'record.gender': '性别',
    'record.birth_date': '出生日期',
    'record.org': '所在组织',
    'record.status': '类别',
    'record.joined_on': '入党日期',
    'record.phone': '手机',
    'record.migrant': '流动党员',
    'record.location': '现居地',
    'record.totals': '学习时长统计',
    'record.totals.year': '年份',
    'record.totals.all': '合计',
    'record.totals.none': '还没有学习和参会记录。',
    'record.total_all': '累计 {h} 小时',
    'record.ledger': '学习和参会明细',
    'record.ledger.year': '年份',
    'record.ledger.all_years': '全部年份',
    'record.ledger.date': '日期',
    'record.ledger.kind': '类别',
    'record.ledger.hours': '时长（小时）',
    'record.ledger.reason': '说明',
    'record.ledger.none': '这段时间没有记录。',
    'record.ledger.correction': '更正',
    'record.ledger.truncated': '这里只列出了最近的 {n} 条。请在上面选择年份，查看那一年的全部记录。',
    'record.back_to_org': '返回组织名单',

    'gender.male': '男',
    'gender.female': '女',
    'status.full': '正式党员',
    'status.probationary': '预备党员',
    'kind.meeting': '组织生活会议',
    'kind.lesson': '课程学习',
    'kind.broadcast': '集中收看直播',
    'kind.manual': '补录',
  },

  en: {
    'app.name': 'Distance Education Portal',
    'app.title.signin': 'Sign in — Distance Education Portal',
    'app.title.orgs': 'Organisations and members — Distance Education Portal',
    'app.title.import': 'Import members — Distance Education Portal',
    'app.title.record': 'Member record — Distance Education Portal',
    'lang.switch': '中文',
    'lang.switch.label': '切换到中文',
    'nav.orgs': 'Organisations',
    'nav.import': 'Import list',
    'nav.record': 'My record',
    'nav.signout': 'Sign out',
    'nav.signed_in_as': 'Signed in: {name}',
    'common.loading': 'Loading…',
    'common.retry': 'Try again',
    'common.back': 'Back',
    'common.yes': 'Yes',
    'common.no': 'No',
    'common.none': '—',
    'common.hours': '{n} h',
    'common.people': '{n}',
    'common.close': 'Close',
    'common.list_sep': ', ',

    'err.network': 'Cannot reach the server. Check the network and try again.',
    'err.server': 'The server had a problem ({status}). Try again later or ask your administrator.',
    'err.forbidden': 'You are not allowed to see this.',
    'err.not_found': 'Nothing was found here.',
    'err.session': 'Your sign-in has expired. Please sign in again.',
    'err.rate_limited': 'Too many tries. Please wait {s} seconds and try again.',
    'err.rate_limited_later': 'Too many tries. Please try again later.',

    'signin.heading': 'Sign in',
    'signin.intro': 'Choose who you are, then fill in the form below.',
    'signin.tab.member': 'Member',
    'signin.tab.admin': 'Administrator',
    'signin.username': 'User name',
    'signin.password': 'Password',
    'signin.show_password': 'Show password',
    'signin.id_number': 'Identity number',
    'signin.id_number.hint': '18 characters; the last one may be X (upper or lower case)',
    'signin.method': 'Sign in with',
    'signin.method.password': 'Password',
    'signin.method.code': 'One-time code',
    'signin.code': 'One-time code',
    'signin.code.hint': '8 digits from your branch administrator; valid 24 hours, once',
    'signin.submit': 'Sign in',
    'signin.busy': 'Signing in…',
    'signin.already': 'You are signed in as “{name}”.',
    'signin.continue': 'Continue',
    'signin.need_username': 'Please enter your user name.',
    'signin.need_password': 'Please enter your password.',
    'signin.need_id_number': 'Please enter your identity number.',
    'signin.need_code': 'Please enter the code.',
    'signin.bad_code': 'The code has 8 digits. Please check it.',
    'signin.bad_credentials': 'Wrong user name or password. Please check and try again.',
    'signin.bad_credentials_member': 'Wrong identity number, password or code. Please check and try again.',

    'id.length': 'An identity number has 18 characters; you entered {n}.',
    'id.format': 'The first 17 characters must be digits; the last a digit or X.',
    'id.check': 'The last character (check digit) does not match. Please check each digit.',

    'orgs.heading': 'Organisations and members',
    'orgs.tree': 'Organisations',
    'orgs.tree.hint': 'Tap a name to see its members; tap ▸ to open the branches below it.',
    'orgs.expand': 'Open {name}',
    'orgs.collapse': 'Close {name}',
    'orgs.expand_all': 'Open all',
    'orgs.code': 'Code {code}',
    'orgs.summary': 'Summary',
    'orgs.summary.members': 'Members',
    'orgs.summary.hours': 'Learning hours in {year}',
    'orgs.summary.top': 'Most hours (top {n})',
    'orgs.summary.no_ranking': 'No learning recorded this year yet.',
    'orgs.summary.includes_sub': 'including sub-organisations',
    'orgs.members': 'Members',
    'orgs.search': 'Find a member',
    'orgs.search.placeholder': 'Name, identity number or phone',
    'orgs.search.submit': 'Find',
    'orgs.search.clear': 'Clear',
    'orgs.subtree': 'Include members of sub-organisations',
    'orgs.col.name': 'Name',
    'orgs.col.id_number': 'Identity number',
    'orgs.col.org': 'Organisation',
    'orgs.col.status': 'Status',
    'orgs.col.phone': 'Phone',
    'orgs.col.record': 'Record',
    'orgs.open_record': 'Open',
    'orgs.empty': 'No members found.',
    'orgs.empty_search': 'No member matches “{q}”.',
    'orgs.page': '{from}–{to} of {total}',
    'orgs.prev': 'Previous',
    'orgs.next': 'Next',
    'orgs.import': 'Import members',
    'orgs.export': 'Download list (CSV)',
    'orgs.none': 'Your account has no organisations.',
    'orgs.choose': 'Choose an organisation in the tree above.',

    'import.heading': 'Import members',
    'import.intro': 'Fill in the list in a spreadsheet (WPS, Excel) following the template, save it as “CSV UTF-8”, and upload it here. If any row is wrong, nothing is imported: fix the rows shown and upload again.',
    'import.org': 'Import into organisation',
    'import.org.hint': 'Members whose organisation code is empty go into this organisation.',
    'import.file': 'Choose the list file',
    'import.file.hint': 'A CSV file, at most 16 MB.',
    'import.file.none': 'No file chosen yet.',
    'import.file.chosen': 'Chosen: {name} ({size})',
    'import.submit': 'Import',
    'import.busy': 'Importing, please wait…',
    'import.need_file': 'Please choose a list file first.',
    'import.too_big': 'The file is too big (at most 16 MB). Split the list into several files.',
    'import.empty_file': 'The file is empty.',
    'import.converted': 'The file was not UTF-8; it was converted from GBK/GB18030.',
    'import.not_text': 'No text could be read from this file. Is it a CSV file?',
    'import.ok': 'Imported: {n} members.',
    'import.ok.back': 'See the members of this organisation',
    'import.ok.detail': '{created} new, {updated} updated.',
    'import.ignored': 'These columns were not recognised and were ignored: {cols}. If they should be imported, fix the header as in the template and import again.',
    'import.truncated': 'Too many problems: only the first {n} are listed below.',
    'import.refused': '{n} rows of the list are wrong, so nothing was imported. Fix the rows below and upload again.',
    'import.reselect': 'The file changed after it was chosen. Please choose it again.',
    'import.result': 'Result',
    'import.col.line': 'Line',
    'import.col.field': 'Column',
    'import.col.reason': 'Reason',
    'import.col.content': 'Line content',
    'import.line': 'Line {n}',
    'import.field.none': 'whole row',
    'import.downloads': 'Template and export',
    'import.template': 'Download an empty template (CSV)',
    'import.export': 'Download the current list of this organisation (CSV)',
    'import.columns': 'The columns',
    'import.columns.required': 'required',
    'import.columns.optional': 'optional',
    'import.col_help.id_number': '18-character identity number',
    'import.col_help.name': 'Real name',
    'import.col_help.gender': 'male / female; may be left empty (taken from the identity number)',
    'import.col_help.birth_date': 'e.g. 1960-05-01; may be left empty (taken from the identity number)',
    'import.col_help.phone': '11-digit mobile number',
    'import.col_help.org_code': 'Code of the organisation; empty means the one chosen above',
    'import.col_help.joined_on': 'e.g. 1985-07-01',
    'import.col_help.status': 'full / probationary',
    'import.col_help.migrant': 'yes / no',
    'import.col_help.location': 'Where a migrant member lives now',

    'field.id_number': 'Identity number',
    'field.name': 'Name',
    'field.gender': 'Gender',
    'field.birth_date': 'Birth date',
    'field.phone': 'Phone',
    'field.org_code': 'Organisation code',
    'field.joined_on': 'Joined on',
    'field.status': 'Status',
    'field.migrant': 'Migrant',
    'field.location': 'Location',
    'field.header': 'Header',
    'field.file': 'File',

    'reason.invalid_id_number': 'The identity number is wrong (length, birth date or check digit).',
    'reason.id_number_mismatch': 'Does not agree with the identity number.',
    'reason.missing_field': 'This column must be filled in.',
    'reason.required': 'This column must be filled in.',
    'reason.invalid_date': 'Wrong date; write it like 2001-07-01.',
    'reason.invalid_phone': 'Wrong phone number; it needs 11 digits.',
    'reason.invalid_status': 'Status must be “full” or “probationary”.',
    'reason.invalid_migrant': 'Migrant must be “yes” or “no”.',
    'reason.invalid_gender': 'Gender must be “male” or “female”.',
    'reason.unknown_org': 'There is no organisation with this code.',
    'reason.org_not_found': 'There is no organisation with this code.',
    'reason.out_of_scope': 'This organisation is outside the ones you manage.',
    'reason.forbidden': 'This organisation is outside the ones you manage.',
    'reason.duplicate': 'This identity number appears more than once in the file.',
    'reason.duplicate_id_number': 'This identity number appears more than once in the file.',
    'reason.too_long': 'Too long.',
    'reason.unknown_column': 'The header has a column name that is not known.',
    'reason.missing_column': 'The header lacks a required column.',
    'reason.bad_row': 'This row is malformed (wrong number of columns or unmatched quotes).',
    'reason.invalid_csv': 'The file is not a valid CSV.',
    'reason.invalid_name': 'Wrong name (empty or too long).',
    'reason.invalid_org_code': 'Wrong organisation code, or one outside those you manage.',
    'reason.invalid_location': 'Wrong location.',
    'reason.invalid_text': 'This column has characters that cannot be read.',
    'reason.unknown_field': 'The header has a column name that is not known.',
    'reason.invalid_type': 'This column has the wrong kind of content.',
    'reason.empty_file': 'The file is empty or has no header row.',
    'reason.csv_syntax': 'Unmatched quotes or a malformed row.',
    'reason.duplicate_column': 'The same column appears twice in the header.',
    'reason.too_many_fields': 'This row has more columns than the header.',
    'reason.too_many_rows': 'Too many members in one file; split it into several files.',
    'reason.member_out_of_reach': 'This identity number belongs to a member of another organisation; ask its administrator to transfer them.',
    'reason.generic': 'This column is wrong.',

    'record.heading': 'Member record',
    'record.profile': 'Details',
    'record.name': 'Name',
    'record.id_number': 'Identity number',
    'record.gender': 'Gender',
    'record.birth_date': 'Birth date',
    'record.org': 'Organisation',
    'record.status': 'Status',
    'record.joined_on': 'Joined on',
    'record.phone': 'Phone',
    'record.migrant': 'Migrant member',
    'record.location': 'Lives in',
    'record.totals': 'Hours by year',
    'record.totals.year': 'Year',
    'record.totals.all': 'Total',
    'record.totals.none': 'No meetings or lessons recorded yet.',
    'record.total_all': '{h} hours in all',
    'record.ledger': 'Meetings and lessons',
    'record.ledger.year': 'Year',
    'record.ledger.all_years': 'All years',
    'record.ledger.date': 'Date',
    'record.ledger.kind': 'Kind',
    'record.ledger.hours': 'Hours',
    'record.ledger.reason': 'Note',
    'record.ledger.none': 'Nothing recorded in this period.',
    'record.ledger.correction': 'correction',
    'record.ledger.truncated': 'Only the latest {n} lines are listed. Choose a year above to see all of that year.',
    'record.back_to_org': 'Back to the list',

    'gender.male': 'Male',
    'gender.female': 'Female',
    'status.full': 'Full member',
    'status.probationary': 'Probationary',
    'kind.meeting': 'Meeting',
    'kind.lesson': 'Lesson',
    'kind.broadcast': 'Broadcast',
    'kind.manual': 'Manual',
  },
};

let current = null;

function storage() {
  try { return typeof localStorage === 'undefined' ? null : localStorage; } catch { return null; }
}

/** The language in use: ?lang= if valid, else the saved choice, else zh-CN. */
export function lang() {
  if (current) return current;
  let want = null;
  if (typeof location !== 'undefined') {
    const q = new URLSearchParams(location.search).get('lang');
    if (q) want = normalise(q);
    if (want) storage()?.setItem(STORE_KEY, want);
  }
  if (!want) want = normalise(storage()?.getItem(STORE_KEY));
  current = want || DEFAULT_LANG;
  return current;
}

function normalise(l) {
  if (!l) return null;
  l = String(l).toLowerCase();
  if (l.startsWith('zh')) return 'zh-CN';
  if (l.startsWith('en')) return 'en';
  return null;
}

/** Switches language, remembers it, relabels the page, fires 'yj-lang'. */
export function setLang(l) {
  current = normalise(l) || DEFAULT_LANG;
  storage()?.setItem(STORE_KEY, current);
  if (typeof document !== 'undefined') {
    applyI18n(document);
    window.dispatchEvent(new CustomEvent('yj-lang', { detail: current }));
  }
}

/** The text for key in the current language, with {name} placeholders
 *  replaced from vars. A missing key falls back to Chinese, then the key. */
export function t(key, vars = {}) {
  const l = lang();
  let s = MESSAGES[l][key] ?? MESSAGES[DEFAULT_LANG][key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

/** True when the dictionary has key (used for optional codes, e.g. reasons). */
export function has(key) {
  return key in MESSAGES[lang()] || key in MESSAGES[DEFAULT_LANG];
}

/** Fills every data-i18n* element under root, and the <html lang>/title. */
export function applyI18n(root = document) {
  document.documentElement.lang = lang();
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const [attr, key] of [['placeholder', 'i18nPlaceholder'], ['aria-label', 'i18nAriaLabel'],
    ['title', 'i18nTitle']]) {
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) el.setAttribute(attr, t(el.dataset[key]));
  }
  const title = document.querySelector('title[data-i18n]');
  if (title) document.title = t(title.dataset.i18n);
}

/** Formats minutes as hours with at most one decimal ("1.5", "-0.5", "12"). */
export function hours(minutes) {
  const h = Math.round((Number(minutes) / 60) * 10) / 10;
  return h.toLocaleString(lang() === 'en' ? 'en' : 'zh-CN', { maximumFractionDigits: 1 });
}

/** Local date (YYYY-MM-DD) of an ISO-8601 time or unix seconds. */
export function date(at) {
  if (at === null || at === undefined || at === '') return t('common.none');
  const d = typeof at === 'number' ? new Date(at * 1000) : new Date(at);
  if (Number.isNaN(d.getTime())) return String(at).slice(0, 10);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
