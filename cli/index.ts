/**
 * `fedpki` — the same verbs as OpenFL's `fx pki` (install, run, get-token, certify,
 * uninstall) plus account and lifecycle commands. Each verb is a thin adapter over
 * lib/ca (or, for certify, lib/enroll); commands load lazily.
 */

import { defineCommand, runMain } from 'citty';

const main = defineCommand({
  meta: { name: 'fedpki', description: 'Certificate authority for federated-learning federations' },
  subCommands: {
    install: () => import('./commands/install').then((m) => m.default),
    run: () => import('./commands/run').then((m) => m.default),
    'get-token': () => import('./commands/get-token').then((m) => m.default),
    certify: () => import('./commands/certify').then((m) => m.default),
    renew: () => import('./commands/renew').then((m) => m.default),
    revoke: () => import('./commands/revoke').then((m) => m.default),
    list: () => import('./commands/list').then((m) => m.default),
    uninstall: () => import('./commands/uninstall').then((m) => m.default),
    federation: () => import('./commands/federation').then((m) => m.default),
    user: () => import('./commands/user').then((m) => m.default),
    migrate: () => import('./commands/migrate').then((m) => m.default),
    export: () => import('./commands/export').then((m) => m.default),
    import: () => import('./commands/import').then((m) => m.default),
  },
});

void runMain(main);
