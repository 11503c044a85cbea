/**
 * zod, as every module that may run in the browser imports it. zod compiles object
 * parsers with `new Function` when it may, and finds out by trying once; the pages'
 * CSP allows no eval, so that try is refused and reported as a CSP violation on every
 * page with a form — noise that would hide a real injection. Without the compiled
 * parsers, parsing is a little slower and nothing is tried.
 */

import { z } from 'zod';

z.config({ jitless: true });

export { z };
