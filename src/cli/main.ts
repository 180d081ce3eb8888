#!/usr/bin/env node
import '../polyfill.js'
import { holdYoungGeneration } from '../young-generation.js'

// Before the commands and what they import are even parsed (a static import would load them all
// first): module loading should not grow V8's young generation (src/young-generation.ts).
holdYoungGeneration()
await import('./program.js')
