import UtilitySupport
emit(.init())
