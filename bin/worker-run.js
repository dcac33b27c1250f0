#!/usr/bin/env node
import "../dist/plugin/cli.js";
