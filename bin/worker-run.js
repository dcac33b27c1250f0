#!/usr/bin/env node
import "../dist/launcher/cli.js";
