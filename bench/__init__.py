"""The performance benchmark behind ``make bench``.

It generates a realistic dataset (organisations, teams, staff with reporting lines,
customers, requests and their timeline) in a database of its own, then times the calls
people wait on: capturing a request, a team's queue, a customer's timeline, and the
periodic sweep. See bench/README.md.
"""
