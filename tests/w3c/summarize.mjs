// Reads mocha JSON reports and prints pass/fail counts per suite and each failure's title and
// message. Usage: node summarize.mjs NAME=FILE.json… (NAME "eddsa" splits by cryptosuite).
import {readFileSync} from 'node:fs';

const groupOf = (name, test) => {
  if(name !== 'eddsa') {
    return name;
  }
  const t = test.fullTitle;
  if(t.includes('eddsa-jcs-2022')) {
    return 'eddsa-jcs-2022';
  }
  if(t.includes('eddsa-rdfc-2022')) {
    return 'eddsa-rdfc-2022';
  }
  return 'eddsa (other)';
};

const groups = new Map();
const get = g => {
  if(!groups.has(g)) {
    groups.set(g, {passed: 0, failed: [], pending: 0});
  }
  return groups.get(g);
};
for(const arg of process.argv.slice(2)) {
  const [name, file] = arg.split('=');
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch(e) {
    console.log(`${name}: no report (${e.message})`);
    continue;
  }
  for(const t of report.passes) {
    get(groupOf(name, t)).passed++;
  }
  for(const t of report.pending) {
    get(groupOf(name, t)).pending++;
  }
  for(const t of report.failures) {
    get(groupOf(name, t)).failed.push(t);
  }
}
for(const [g, {passed, failed, pending}] of groups) {
  const total = passed + failed.length;
  console.log(`${g}: ${passed} of ${total} passed, ${failed.length} failed` +
    (pending ? `, ${pending} pending` : ''));
}
for(const [g, {failed}] of groups) {
  if(failed.length === 0) {
    continue;
  }
  console.log(`\n## ${g} failures`);
  for(const t of failed) {
    const msg = (t.err?.message || '').replace(/\s+/g, ' ').slice(0, 400);
    console.log(`- ${t.fullTitle}\n    ${msg}`);
  }
}
