import { renderConfigTable } from '../config/describe.js';

// Prints the configuration table the README carries; a test fails when the README's copy is out of date.
console.log(renderConfigTable());
