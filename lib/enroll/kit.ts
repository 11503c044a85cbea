/**
 * What the enrollment page loads on first use (pasting a token, opening a token
 * link): one dynamic import, so pkijs and the rest stay out of the first load.
 */

export { RefusalError, readTokenForPage, requestCertificate, type EnrolledNode, type EnrollStep, type ReadToken, type TokenSummary } from './session';
export { buildDownload, type DownloadFile, type DownloadRequest } from './downloads';
export { fileSafeName, guessRole, roleFromToken, type OpenflRole } from './bundles';
export type { Refusal } from './messages';
