/**
 * The Backups page's chunk, fetched by App when a customer is signed in and by the sign-in page
 * ahead of time; the browser's module cache makes the second call free.
 */
export const loadBackupsPage = () => import('./BackupsPage');
