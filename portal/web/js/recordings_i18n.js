// SPDX-License-Identifier: Apache-2.0
// recordings_i18n.js — the strings of a meeting's recordings list
// (recordings_list.js), merged into i18n.js's dictionary like
// iptv_i18n.js so the shared file stays small. Chinese first; English as
// everywhere else. Must stay importable in node (no DOM here).
import { MESSAGES } from './i18n.js';

Object.assign(MESSAGES['zh-CN'], {
  'recs.heading': '会议录像',
  'recs.none': '这次会议没有录像。',
  'recs.recording_now': '正在录制。',
  'recs.item': '录像 {n}',
  'recs.status.recording': '录制中',
  'recs.status.composing': '合成中 {pct}%',
  'recs.status.waiting': '等待合成',
  'recs.status.composed': '已完成',
  'recs.status.failed': '失败',
  'recs.duration': '时长',
  'recs.size': '大小',
  'recs.lesson': '观看回放课程',
  'recs.retry': '重新合成',
  'recs.retried': '已重新排队合成。',
  'recs.error': '失败原因：{why}',
  'recs.tracks': '原始音视频轨道（{n} 个，供管理员下载）',
  'recs.track': '{who}：{kind}（{codec}，{size}）',
  'recs.track.anon': '参会者',
  'recs.kind.audio': '声音',
  'recs.kind.video': '图像',
  'recs.purged': '原始轨道已按保存期限删除。',
  'recs.hms': '{h} 小时 {m} 分 {s} 秒',
  'recs.ms': '{m} 分 {s} 秒',
});

Object.assign(MESSAGES.en, {
  'recs.heading': 'Recordings',
  'recs.none': 'This meeting has no recording.',
  'recs.recording_now': 'Recording now.',
  'recs.item': 'Recording {n}',
  'recs.status.recording': 'Recording',
  'recs.status.composing': 'Composing {pct}%',
  'recs.status.waiting': 'Waiting to compose',
  'recs.status.composed': 'Done',
  'recs.status.failed': 'Failed',
  'recs.duration': 'Duration',
  'recs.size': 'Size',
  'recs.lesson': 'Watch the replay lesson',
  'recs.retry': 'Compose again',
  'recs.retried': 'Queued for composition again.',
  'recs.error': 'Why it failed: {why}',
  'recs.tracks': 'Raw audio and video tracks ({n}, for administrators)',
  'recs.track': '{who}: {kind} ({codec}, {size})',
  'recs.track.anon': 'Participant',
  'recs.kind.audio': 'sound',
  'recs.kind.video': 'picture',
  'recs.purged': 'The raw tracks were deleted after the retention period.',
  'recs.hms': '{h} h {m} min {s} s',
  'recs.ms': '{m} min {s} s',
});
