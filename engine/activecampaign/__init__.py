"""Everything that knows ActiveCampaign's URLs and JSON: the client and the sandbox.

The rest of the product speaks to it only in the product's own types:
``engine.contacts`` (Contact, Member, CurrentState) for reading, and the write types in
:mod:`engine.apply` (ContactWrite, WriteReport) for applying.
"""
