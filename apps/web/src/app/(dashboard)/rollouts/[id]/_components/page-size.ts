export const DEVICE_PAGE_SIZE = 50;
