// A worker thread that writes one backup with its own connection, so that VACUUM INTO over a
// large database never stalls the event loop that serves requests.
import { writeBackup } from '../db/backup';

declare const self: Worker;

self.onmessage = (event: MessageEvent<{ source: string; target: string }>) => {
  try {
    postMessage({ bytes: writeBackup(event.data.source, event.data.target).bytes });
  } catch (error) {
    postMessage({ error: (error as Error).message });
  }
};
