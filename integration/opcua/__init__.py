"""`ladder-opcua`: an OPC UA collector for the plant edge (no Django, no database: see
`collector`)."""
