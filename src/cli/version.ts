// The version is read by the storage layer too (the machine fingerprint of each run): one reader, in src/.
export { version } from '../version';
