#!/bin/sh
# Check a staged nginx configuration (the argument) with the nginx that will read it.
exec nginx -t -q -c "$1"
