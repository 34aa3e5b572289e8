/** Events per audit page; shared by the server page (first page) and the client (next pages). */
export const PAGE_SIZE = 50;
