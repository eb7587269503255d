// SPDX-License-Identifier: Apache-2.0
// notfound.js — the 404 page: translated, with the menu and a link to the
// signed-in person's own home (administrators: organisations; members:
// their meetings), or the sign-in page.

import { session } from './api.js';
import { initPage } from './ui.js';
import { homeFor } from './home.js';

initPage(null);
session().then((s) => {
  if (!s) return;
  initPage(s);
  document.getElementById('home').href = homeFor(s);
}).catch(() => {});
