/**
 * Fault: a promise nobody awaits rejects inside `vlrerank serve` — what lmdb does when another
 * process fills the disk between the disk tier's free-space check and lmdb's commit (its internal
 * commit promise rejects; RELIABILITY's Known gaps). A real disk cannot be filled at that instant
 * on demand, so this module (loaded with `node --import`) plays it: each SIGUSR2 rejects one
 * promise no code awaits, with lmdb's error text.
 */
process.on('SIGUSR2', () => {
  void Promise.reject(new Error('MDB_MAP_FULL: Environment mapsize limit reached (lmdb commit, played by a test fault)'));
});
