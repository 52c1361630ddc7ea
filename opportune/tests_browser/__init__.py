"""Browser journeys through Playwright and Debian's Chromium (marked ``browser``)."""
