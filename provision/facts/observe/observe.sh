#!/bin/sh
# Observe a host: every fact the plan needs, in one round trip. This is the script's start;
# script.ts adds each fact's snippet (facts/<name>.sh) as a function and calls it after a line
# "@fact <name>", so each fact's output is a section of its own that its parser reads (parse.ts).
# A process costs milliseconds on a Pi: each fact is gathered for all files or units at once.
export LC_ALL=C
set -f # the name lists are split on spaces, never globbed
