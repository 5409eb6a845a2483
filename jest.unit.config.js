// `npm run test:unit`: the unit tier alone (`*.spec.ts`, repositories mocked), with no global set-up, so it
// runs on a bare clone without MariaDB, Redis or DCMTK. `npm test` runs it with the other two tiers.
const base = require('./jest.config');

module.exports = { ...base.projects.find((project) => project.displayName === 'unit'), testTimeout: base.testTimeout };
