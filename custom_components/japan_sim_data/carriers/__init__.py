"""A Home Assistant-free library that reads remaining mobile data from Japanese carriers."""
