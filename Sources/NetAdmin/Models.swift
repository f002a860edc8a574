// The errno the formatters print is the one the protocol and the stack use (NetBSDModels).
@_exported import NetBSDModels
